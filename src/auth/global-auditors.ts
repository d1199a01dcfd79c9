import { fingerprint } from '../protocol';

/** PARLEY_AUDITORS (`signKey:boxKey,…`, validated by the config) as keyid → signKey. */
export function globalAuditors(setting: string | undefined): Map<string, string> {
  const auditors = new Map<string, string>();
  for (const pair of (setting ?? '').split(',').filter(Boolean)) {
    const [signKey, boxKey] = pair.split(':');
    auditors.set(fingerprint({ signKey, boxKey }), signKey);
  }
  return auditors;
}
