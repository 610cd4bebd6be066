ALTER TABLE "api_tokens" ADD COLUMN "description" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "last_used_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "api_tokens_name_idx" ON "api_tokens" USING btree ("name");