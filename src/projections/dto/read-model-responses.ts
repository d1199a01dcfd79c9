/**
 * OpenAPI shapes of what the read model routes answer (DESIGN.md Part 3). The answers are
 * the read-model-rows types as stored; these classes only describe them for /docs, and a
 * test compares their properties with real answers.
 */
import { ApiProperty } from '@nestjs/swagger';
import { HeadDto } from '../../channels/api-responses';
import { DISPLAY_STATUSES } from '../read-model-rows';

const PROPOSAL_STATUSES = ['pending', 'agreed', 'rejected', 'withdrawn', 'superseded', 'lapsed', 'completed', 'cancelled'];

/** One event that moved something: who, when, where in the channel, and its hash. */
export class EventRefDto {
  @ApiProperty({ description: "the event's seq in its channel" }) seq!: number;
  @ApiProperty({ description: 'hex SHA-256 event hash' }) hash!: string;
  @ApiProperty({ description: 'participant id, or notary' }) sender!: string;
  @ApiProperty({ description: "the sender's claimed time" }) at!: string;
}

class WithdrawnRefDto extends EventRefDto {
  @ApiProperty({ enum: ['duplicate', 'resolved-elsewhere', 'other'] }) reason!: string;
}

class AgreedRefDto extends EventRefDto {
  @ApiProperty({ type: [String], description: 'hashes of the acceptances that made the quorum' }) acceptances!: string[];
}

class ProposalRefDto {
  @ApiProperty() proposal!: string;
  @ApiProperty({ enum: PROPOSAL_STATUSES }) status!: string;
}

class InformationCountsDto {
  @ApiProperty() details!: number;
  @ApiProperty() health!: number;
  @ApiProperty() location!: number;
  @ApiProperty() document!: number;
}

export class RequestItemDto {
  @ApiProperty() channel!: string;
  @ApiProperty() request!: string;
  @ApiProperty({ description: 'the requesting party' }) party!: string;
  @ApiProperty({ description: 'the party holding the person' }) holder!: string;
  @ApiProperty({ enum: ['minor', 'adult-displaced-as-minor'] }) category!: string;
  @ApiProperty({ enum: DISPLAY_STATUSES }) status!: string;
  @ApiProperty({ type: [ProposalRefDto], description: 'every proposal that named it, in order' }) proposals!: ProposalRefDto[];
  @ApiProperty({ nullable: true, type: String, description: 'the agreed proposal it is part of' }) transfer!: string | null;
  @ApiProperty({ type: InformationCountsDto, description: 'information shared, counted by kind (content stays encrypted)' })
  information!: InformationCountsDto;
  @ApiProperty({ type: EventRefDto }) requested!: EventRefDto;
  @ApiProperty({ type: EventRefDto, description: 'the last event that named the request or changed its status (a proposal naming it closing included)' }) updated!: EventRefDto;
  @ApiProperty({ type: EventRefDto, nullable: true }) released!: EventRefDto | null;
  @ApiProperty({ type: EventRefDto, nullable: true }) received!: EventRefDto | null;
  @ApiProperty({ type: WithdrawnRefDto, nullable: true }) withdrawn!: WithdrawnRefDto | null;
}

export class RequestsDto {
  @ApiProperty({ type: [RequestItemDto] }) items!: RequestItemDto[];
}

export class ReunificationItemDto {
  @ApiProperty() channel!: string;
  @ApiProperty() request!: string;
  @ApiProperty() party!: string;
  @ApiProperty() holder!: string;
  @ApiProperty({ enum: ['minor', 'adult-displaced-as-minor'] }) category!: string;
  @ApiProperty({ description: 'the agreed proposal' }) transfer!: string;
  @ApiProperty({ type: EventRefDto }) released!: EventRefDto;
  @ApiProperty({ type: EventRefDto }) received!: EventRefDto;
  @ApiProperty({ type: EventRefDto }) completed!: EventRefDto;
}

export class ReunificationsDto {
  @ApiProperty({ type: [ReunificationItemDto] }) items!: ReunificationItemDto[];
}

class PolicyDto {
  @ApiProperty({ enum: ['sides', 'all'] }) quorum!: string;
  @ApiProperty() auditorsRead!: boolean;
}

class NotaryKeyDto {
  @ApiProperty() signKey!: string;
}

class PartyDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['side', 'mediator', 'observer'] }) kind!: string;
}

class ParticipantViewDto {
  @ApiProperty() id!: string;
  @ApiProperty() party!: string;
  @ApiProperty({ enum: ['negotiator', 'observer', 'auditor'] }) role!: string;
  @ApiProperty({ description: 'hex SHA-256 key pair fingerprint (the keyid of its signed requests)' }) fingerprint!: string;
  @ApiProperty() signKey!: string;
  @ApiProperty() boxKey!: string;
  @ApiProperty({ enum: ['active', 'revoked'] }) status!: string;
  @ApiProperty({ description: 'seq of the event that admitted it' }) admittedAt!: number;
  @ApiProperty({ nullable: true, type: Number }) revokedAt!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'its replacement after a key rotation' }) replacedBy!: string | null;
}

class ChannelRequestDto {
  @ApiProperty() request!: string;
  @ApiProperty() party!: string;
  @ApiProperty() holder!: string;
  @ApiProperty() category!: string;
  @ApiProperty({ enum: DISPLAY_STATUSES }) status!: string;
  @ApiProperty({ nullable: true, type: String }) transfer!: string | null;
}

class ProposalViewDto {
  @ApiProperty() proposal!: string;
  @ApiProperty({ description: "the proposer's party" }) party!: string;
  @ApiProperty({ type: [String] }) requests!: string[];
  @ApiProperty({ nullable: true, type: String }) supersedes!: string | null;
  @ApiProperty({ enum: PROPOSAL_STATUSES }) status!: string;
  @ApiProperty({ type: EventRefDto }) submitted!: EventRefDto;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/EventRefDto' }, description: 'party → its acceptance' })
  acceptances!: Record<string, EventRefDto>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/EventRefDto' }, description: 'party → its rejection' })
  rejections!: Record<string, EventRefDto>;
  @ApiProperty({ type: EventRefDto, nullable: true, description: 'the event that ended it' }) closed!: EventRefDto | null;
}

class TransferRequestDto {
  @ApiProperty() request!: string;
  @ApiProperty({ enum: DISPLAY_STATUSES }) status!: string;
}

class TransferProgressDto {
  @ApiProperty() total!: number;
  @ApiProperty() released!: number;
  @ApiProperty() received!: number;
  @ApiProperty() reunited!: number;
}

class TransferViewDto {
  @ApiProperty() proposal!: string;
  @ApiProperty({ enum: ['agreed', 'completed', 'cancelled'] }) status!: string;
  @ApiProperty({ type: AgreedRefDto }) agreed!: AgreedRefDto;
  @ApiProperty({ type: EventRefDto, nullable: true }) closed!: EventRefDto | null;
  @ApiProperty({ type: [TransferRequestDto] }) requests!: TransferRequestDto[];
  @ApiProperty({ type: TransferProgressDto }) progress!: TransferProgressDto;
}

export class ChannelStateDto {
  @ApiProperty() channel!: string;
  @ApiProperty({ type: HeadDto }) head!: HeadDto;
  @ApiProperty({ type: EventRefDto }) opened!: EventRefDto;
  @ApiProperty({ type: PolicyDto }) policy!: PolicyDto;
  @ApiProperty({ type: NotaryKeyDto }) notary!: NotaryKeyDto;
  @ApiProperty({ type: [PartyDto] }) parties!: PartyDto[];
  @ApiProperty({ type: [ParticipantViewDto] }) participants!: ParticipantViewDto[];
  @ApiProperty({ type: [ChannelRequestDto] }) requests!: ChannelRequestDto[];
  @ApiProperty({ type: [ProposalViewDto] }) proposals!: ProposalViewDto[];
  @ApiProperty({ type: [TransferViewDto] }) transfers!: TransferViewDto[];
}
