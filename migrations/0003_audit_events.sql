CREATE TABLE "audit_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"principal" text NOT NULL,
	"action" text NOT NULL,
	"secret_id" text,
	"resource_type" text,
	"resource_id" text,
	"outcome" text NOT NULL,
	"request_id" text NOT NULL,
	"peer" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_events_principal_idx" ON "audit_events" USING btree ("principal","event_id");--> statement-breakpoint
CREATE INDEX "audit_events_secret_idx" ON "audit_events" USING btree ("secret_id","event_id");--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");