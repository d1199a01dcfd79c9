import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

/**
 * Plain digits only: `1.5`, `-1`, `1e3` or `` stay strings and fail IsInt. However many
 * digits, a number: past 2^53−1 it is that (a `from` beyond every channel's end, a `limit`
 * capped like any other), not a refusal of a valid integer.
 */
const digits = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Math.min(Number(value), Number.MAX_SAFE_INTEGER) : value;

export class ReadEventsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0, description: 'first seq to return' })
  // Constraints run bottom-up and the pipe stops at a property's first failure: the form
  // (IsInt, last) is checked before the range, so `1.5` is told it is not an integer.
  @IsOptional()
  @Transform(digits)
  @Min(0)
  @IsInt({ message: 'from must be a non-negative integer' })
  from?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: DEFAULT_PAGE, description: `at most this many; values above ${MAX_PAGE} are capped to it` })
  @IsOptional()
  @Transform(digits)
  @Max(Number.MAX_SAFE_INTEGER)
  @Min(1)
  @IsInt({ message: 'limit must be a positive integer' })
  limit?: number;
}
