import { Injectable, PipeTransform } from '@nestjs/common';
import { malformed } from './api-error';

/** `Last-Event-ID` of the SSE stream: the seq last received, so reading resumes after it; absent → from 0. */
@Injectable()
export class LastEventIdPipe implements PipeTransform<string | undefined, number> {
  transform(value: string | undefined): number {
    if (value === undefined || value === '') return 0;
    if (!/^\d{1,15}$/.test(value)) throw malformed('Last-Event-ID must be the seq of an event');
    return Number(value) + 1;
  }
}
