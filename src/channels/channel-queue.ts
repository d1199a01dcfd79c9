import { Injectable } from '@nestjs/common';
import { KeyedQueue } from '../common/keyed-queue';

/** The per-channel queue every use of a channel's cached state goes through (one per process). */
@Injectable()
export class ChannelQueue extends KeyedQueue {}
