import type { ParseHost } from '../../src/pfile/types.js';

/** Every script exists except those under /missing (and /noexec is not executable); users root (0) and tomcat (91). */
export const host: ParseHost = {
  resolveUser: (name) => ({ root: 0, tomcat: 91 })[name],
  checkExecutable: (path) => (path.startsWith('/missing') ? 'no such file' : path.startsWith('/noexec') ? 'not executable' : null),
  checkReadable: (path) => (path.startsWith('/missing') ? 'no such file' : null),
};
