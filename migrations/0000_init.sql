CREATE TABLE "idempotency_keys" (
	"principal" text NOT NULL,
	"request_id" text NOT NULL,
	"request_mac" text NOT NULL,
	"kek_version" integer NOT NULL,
	"secret_id" text NOT NULL,
	"binding_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_principal_request_id_pk" PRIMARY KEY("principal","request_id")
);
--> statement-breakpoint
CREATE TABLE "kek_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"source" text NOT NULL,
	"salt" "bytea",
	"state" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "secret_bindings" (
	"binding_id" text PRIMARY KEY NOT NULL,
	"secret_id" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"field_name" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "secret_versions" (
	"secret_id" text NOT NULL,
	"version" integer NOT NULL,
	"kek_version" integer NOT NULL,
	"nonce" "bytea" NOT NULL,
	"ciphertext" "bytea" NOT NULL,
	"wrapped_dek" "bytea" NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "secret_versions_secret_id_version_pk" PRIMARY KEY("secret_id","version")
);
--> statement-breakpoint
CREATE TABLE "secrets" (
	"secret_id" text PRIMARY KEY NOT NULL,
	"secret_name" text NOT NULL,
	"field_name" text NOT NULL,
	"is_shared" boolean NOT NULL,
	"state" text DEFAULT 'ACTIVE' NOT NULL,
	"provider" text,
	"model" text,
	"auth_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"masked_value" text DEFAULT '' NOT NULL,
	"masked_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"current_version" integer NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_updated_by" text NOT NULL,
	"last_updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_secret_id_secrets_secret_id_fk" FOREIGN KEY ("secret_id") REFERENCES "public"."secrets"("secret_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secret_bindings" ADD CONSTRAINT "secret_bindings_secret_id_secrets_secret_id_fk" FOREIGN KEY ("secret_id") REFERENCES "public"."secrets"("secret_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secret_versions" ADD CONSTRAINT "secret_versions_secret_id_secrets_secret_id_fk" FOREIGN KEY ("secret_id") REFERENCES "public"."secrets"("secret_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "secret_bindings_resource_field_uq" ON "secret_bindings" USING btree ("resource_type","resource_id","field_name");--> statement-breakpoint
CREATE INDEX "secret_bindings_secret_idx" ON "secret_bindings" USING btree ("secret_id");--> statement-breakpoint
CREATE INDEX "secret_versions_kek_idx" ON "secret_versions" USING btree ("kek_version");--> statement-breakpoint
CREATE UNIQUE INDEX "secrets_shared_name_uq" ON "secrets" USING btree ("secret_name") WHERE "secrets"."is_shared";--> statement-breakpoint
CREATE UNIQUE INDEX "secrets_private_name_uq" ON "secrets" USING btree ("created_by","secret_name") WHERE NOT "secrets"."is_shared";