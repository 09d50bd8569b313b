/** Compatibility levels of the Confluent Schema Registry. */
export const compatibilityLevels = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

/** One of {@link compatibilityLevels}. */
export type CompatibilityLevel = (typeof compatibilityLevels)[number];

/** A schema as the registry stores it under a subject. */
export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  /** Schema text. */
  readonly schema: string;
}

/** The answer of a compatibility test. */
export interface CompatibilityResult {
  readonly isCompatible: boolean;
  /** Why not, naming the field and the rule (empty when compatible). */
  readonly messages: readonly string[];
}

/**
 * The part of the Confluent Schema Registry REST API that Zenthos clients use. The HTTP
 * adapter talks to any Confluent-compatible registry (Confluent, Karapace, Apicurio in
 * Confluent mode, `zenthos run registry`).
 */
export interface SchemaRegistryClient {
  /** Schema text by global id (GET /schemas/ids/{id}). Unknown id: ZEN_SCHEMA_UNKNOWN_ID. */
  getSchemaById(id: number): Promise<string>;
  /** Registers a schema under a subject and returns its global id; the same schema again returns the same id. */
  register(subject: string, schema: string): Promise<number>;
  /** Finds a schema already registered under a subject (POST /subjects/{s}). Not there: ZEN_SCHEMA_NOT_REGISTERED. */
  lookup(subject: string, schema: string): Promise<SubjectVersion>;
  /** A version of a subject, or its latest. Unknown: ZEN_NOT_FOUND. */
  getVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion>;
  /** All subjects. */
  listSubjects(): Promise<string[]>;
  /** Version numbers of a subject. */
  listVersions(subject: string): Promise<number[]>;
  /** Tests a schema against a version of a subject (latest by default), with reasons. */
  testCompatibility(subject: string, schema: string, version?: number | 'latest'): Promise<CompatibilityResult>;
  /** The compatibility level of a subject (falling back to the global level) or the global level. */
  getCompatibility(subject?: string): Promise<CompatibilityLevel>;
  /** Sets the compatibility level of a subject, or the global level. */
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void>;
  /** Deletes a subject (soft, or permanent after a soft delete) and returns the deleted versions. */
  deleteSubject(subject: string, permanent?: boolean): Promise<number[]>;
}
