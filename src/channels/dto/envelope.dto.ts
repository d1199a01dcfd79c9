import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsInt, IsObject, IsString, ValidateIf } from 'class-validator';

/**
 * The edge guard for a posted envelope (DESIGN.md 1.3): its top-level members and their JSON
 * types, nothing else (the global ValidationPipe forbids unknown members). The exact shape,
 * formats and every rule are `check`'s, from src/protocol — not repeated here.
 */
export class EnvelopeDto {
  @ApiProperty({ example: 1 })
  @IsInt()
  v!: number;

  @ApiProperty({ format: 'uuid' })
  @IsString()
  id!: string;

  @ApiProperty({ format: 'uuid' })
  @IsString()
  channel!: string;

  @ApiProperty({ minimum: 0 })
  @IsInt()
  seq!: number;

  @ApiProperty({ description: 'hex SHA-256 of the previous event, 64 zeros at seq 0' })
  @IsString()
  prev!: string;

  @ApiProperty({ example: 'MessagePosted' })
  @IsString()
  type!: string;

  @ApiProperty({ example: 'ua.lead' })
  @IsString()
  sender!: string;

  @ApiProperty({ example: '2026-10-10T09:00:00.000Z' })
  @IsString()
  at!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsObject()
  meta!: Record<string, unknown>;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  @IsDefined()
  @ValidateIf((_o, value) => value !== null)
  @IsObject()
  body!: Record<string, unknown> | null;

  @ApiProperty({ description: 'b64u Ed25519 signature' })
  @IsString()
  sig!: string;
}
