import { Query } from '@nestjs/cqrs';
import type { KeyMembership } from '../read-model-rows';

/**
 * Every membership a request key (keyid = participant key pair fingerprint) has held:
 * channel, participant, whether it is still active, and the signKey a request signature
 * must verify with. Empty for a key no channel knows (the guard answers 401).
 */
export class FindKeyMembershipsQuery extends Query<KeyMembership[]> {
  constructor(readonly keyid: string) {
    super();
  }
}
