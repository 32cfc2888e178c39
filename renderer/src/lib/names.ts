/** Default file names offered in save dialogs. Pure. */

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}`;
}

export const backupFileName = (date: Date) => `certificate-backup-${stamp(date)}.zip`;
export const pfxFileName = (date: Date) => `server-certificate-${stamp(date)}.pfx`;
export const agentCertificateFileName = () => 'server-authentication.cer';
export const historyCsvFileName = (date: Date) => `certificate-history-${stamp(date)}.csv`;
export const clientsCsvFileName = (date: Date) => `clients-without-valid-certificate-${stamp(date)}.csv`;
