/** Extended attributes (include/uapi/linux/xattr.h, limits.h). */
export const XATTR_CREATE = 1, XATTR_REPLACE = 2;
/** the longest name, bytes without the NUL */
export const XATTR_NAME_MAX = 255;
/** the largest value, and the largest name list */
export const XATTR_SIZE_MAX = 65536, XATTR_LIST_MAX = 65536;
export const XATTR_USER_PREFIX = 'user.', XATTR_TRUSTED_PREFIX = 'trusted.', XATTR_SECURITY_PREFIX = 'security.',
  XATTR_SYSTEM_PREFIX = 'system.';
