import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI shapes of what the channel routes answer (DESIGN.md Part 3). */
export class AppendedDto {
  @ApiProperty({ example: 3 }) seq!: number;
  @ApiProperty({ description: 'hex SHA-256 event hash' }) hash!: string;
  @ApiProperty({ description: "the event's place in the store's global log; opaque, orders as the log does" })
  position!: string;
}

export class HeadDto {
  @ApiProperty({ description: 'the seq the next event must carry' }) seq!: number;
  @ApiProperty({ description: 'the hash the next event must chain to' }) prev!: string;
}

export class ErrorDto {
  @ApiProperty({ example: 'malformed', description: 'a violation code (DESIGN.md 1.5), unauthorized, not_found or payload_too_large' })
  error!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ description: '422 only: the envelope seq' }) seq?: number;
  @ApiPropertyOptional({ type: HeadDto, description: '409 only: the current head to re-sign against' }) head?: HeadDto;
}

export class NotaryDto {
  @ApiProperty({ description: "b64u Ed25519 key a ChannelOpened must name in meta.notary.signKey" }) signKey!: string;
}
