import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ChannelParamsDto {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'the channel in the path must be a lowercase uuid' })
  channel!: string;
}
