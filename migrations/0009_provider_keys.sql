CREATE TABLE "provider_keys" (
	"provider_key_id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"principal" text NOT NULL,
	"is_shared" boolean NOT NULL,
	"secret_id" text NOT NULL,
	"set_by" text NOT NULL,
	"set_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "provider_keys" ADD CONSTRAINT "provider_keys_secret_id_secrets_secret_id_fk" FOREIGN KEY ("secret_id") REFERENCES "public"."secrets"("secret_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "provider_keys_principal_uq" ON "provider_keys" USING btree ("principal","provider") WHERE NOT "provider_keys"."is_shared";--> statement-breakpoint
CREATE UNIQUE INDEX "provider_keys_shared_uq" ON "provider_keys" USING btree ("provider") WHERE "provider_keys"."is_shared";--> statement-breakpoint
CREATE INDEX "provider_keys_secret_idx" ON "provider_keys" USING btree ("secret_id");