import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { UUID_PATTERN } from '../../protocol';

export class ChannelParamsDto {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'the channel in the path must be a lowercase uuid' })
  channel!: string;
}
