import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DISPLAY_STATUSES, type DisplayStatus } from '../read-model-rows';

export class RequestsQueryDto {
  @ApiPropertyOptional({
    enum: DISPLAY_STATUSES,
    default: 'open',
    description: '`open`: every request not yet reunited or withdrawn; any other value: that exact status',
  })
  @IsOptional()
  @IsIn(DISPLAY_STATUSES, { message: `status must be one of ${DISPLAY_STATUSES.join(', ')}` })
  status?: DisplayStatus;
}
