/** The Confluent-API schema registry client (works with Confluent SR and Apicurio's ccompat API). */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

export interface RegistrySettings {
  schemaRegistryUrl: string;
  schemaRegistryUsername?: string | undefined;
  schemaRegistryPassword?: string | undefined;
}

export function createRegistry(settings: RegistrySettings): SchemaRegistry {
  const auth =
    settings.schemaRegistryUsername !== undefined
      ? { username: settings.schemaRegistryUsername, password: settings.schemaRegistryPassword ?? '' }
      : undefined;
  return new SchemaRegistry({ host: settings.schemaRegistryUrl.replace(/\/$/, ''), ...(auth ? { auth } : {}) });
}
