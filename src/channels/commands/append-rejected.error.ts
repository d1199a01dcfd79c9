import { ApiError } from '../../common/api-error';
import type { Violation } from '../../protocol';

export interface ChannelHead {
  /** The seq the next event must carry. */
  seq: number;
  /** The hash it must chain to. */
  prev: string;
}

/**
 * An append refused (DESIGN.md Part 3): 400 `malformed` without seq; 409 for a stale chain
 * (`seq_gap`, `prev_mismatch`, `duplicate_id`) with the head to re-sign against; 422 for any
 * other violation, with the envelope's seq.
 */
export class AppendRejected extends ApiError {
  static malformed(message: string): AppendRejected {
    return new AppendRejected(400, 'malformed', message);
  }

  static chainConflict(found: Violation, head: ChannelHead): AppendRejected {
    return new AppendRejected(409, found.code, found.message, { head });
  }

  static violation(found: Violation, seq: number): AppendRejected {
    return new AppendRejected(422, found.code, found.message, { seq });
  }
}
