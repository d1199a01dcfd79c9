/**
 * The event a keystore remembers of a channel (the newest it verified or appended) against a
 * log served since: as ChannelSession.checkContinues, for commands that read a log without
 * replaying it into a session (`parley audit --channel`, `parley export`).
 */
import { ChannelIntegrityError } from '../../client/errors';

/**
 * Throws unless the served log holds the remembered event: `hashAtSeq` is the hash of the
 * served log's event at `seen.seq`, or null when the log ended before it.
 */
export function checkRemembered(hashAtSeq: string | null, seen: { seq: number; hash: string }): void {
  if (hashAtSeq === null) {
    throw new ChannelIntegrityError('seq_gap', seen.seq, `the server's log ends before seq ${seen.seq}, which this keystore verified earlier: events are missing`);
  }
  if (hashAtSeq !== seen.hash) {
    throw new ChannelIntegrityError('prev_mismatch', seen.seq, `the server's log differs at seq ${seen.seq} from the one this keystore verified earlier: a forked channel`);
  }
}
