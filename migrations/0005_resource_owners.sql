CREATE TABLE "resource_grants" (
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"principal" text NOT NULL,
	"granted_by" text NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resource_grants_resource_type_resource_id_principal_pk" PRIMARY KEY("resource_type","resource_id","principal")
);
--> statement-breakpoint
CREATE TABLE "resources" (
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"owner" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_updated_by" text NOT NULL,
	"last_updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resources_resource_type_resource_id_pk" PRIMARY KEY("resource_type","resource_id")
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "secret_version" integer;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "resource_grants" ADD CONSTRAINT "resource_grants_resource_type_resource_id_resources_resource_type_resource_id_fk" FOREIGN KEY ("resource_type","resource_id") REFERENCES "public"."resources"("resource_type","resource_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "resource_grants_principal_idx" ON "resource_grants" USING btree ("principal");--> statement-breakpoint
CREATE INDEX "resources_owner_idx" ON "resources" USING btree ("owner");