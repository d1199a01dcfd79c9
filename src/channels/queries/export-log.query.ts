import { Query } from '@nestjs/cqrs';

/** Every channel's stored envelopes in global log order, read page by page as consumed. */
export class ExportLogQuery extends Query<AsyncIterable<string>> {}
