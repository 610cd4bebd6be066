CREATE TABLE "endpoint_bindings" (
	"binding_id" text PRIMARY KEY NOT NULL,
	"endpoint_id" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "endpoint_model_mappings" (
	"mapping_id" text PRIMARY KEY NOT NULL,
	"endpoint_id" text NOT NULL,
	"model_definition_id" text NOT NULL,
	"weight" double precision DEFAULT 1 NOT NULL,
	"linkage_type" text NOT NULL,
	"fallback_order" integer,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "endpoint_tags" (
	"endpoint_id" text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "endpoint_tags_endpoint_id_key_pk" PRIMARY KEY("endpoint_id","key")
);
--> statement-breakpoint
CREATE TABLE "endpoints" (
	"endpoint_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"routing_strategy" text NOT NULL,
	"fallback_strategy" text,
	"fallback_max_attempts" integer,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_updated_by" text NOT NULL,
	"last_updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_definitions" (
	"model_definition_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_id" text,
	"provider" text NOT NULL,
	"model_name" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_updated_by" text NOT NULL,
	"last_updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "endpoint_bindings" ADD CONSTRAINT "endpoint_bindings_endpoint_id_endpoints_endpoint_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("endpoint_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "endpoint_model_mappings" ADD CONSTRAINT "endpoint_model_mappings_endpoint_id_endpoints_endpoint_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("endpoint_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "endpoint_model_mappings" ADD CONSTRAINT "endpoint_model_mappings_model_definition_id_model_definitions_model_definition_id_fk" FOREIGN KEY ("model_definition_id") REFERENCES "public"."model_definitions"("model_definition_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "endpoint_tags" ADD CONSTRAINT "endpoint_tags_endpoint_id_endpoints_endpoint_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("endpoint_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_definitions" ADD CONSTRAINT "model_definitions_secret_id_secrets_secret_id_fk" FOREIGN KEY ("secret_id") REFERENCES "public"."secrets"("secret_id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "endpoint_bindings_uq" ON "endpoint_bindings" USING btree ("endpoint_id","resource_type","resource_id");--> statement-breakpoint
CREATE INDEX "endpoint_bindings_resource_idx" ON "endpoint_bindings" USING btree ("resource_type","resource_id");--> statement-breakpoint
CREATE UNIQUE INDEX "endpoint_model_mappings_model_uq" ON "endpoint_model_mappings" USING btree ("endpoint_id","model_definition_id","linkage_type");--> statement-breakpoint
CREATE UNIQUE INDEX "endpoint_model_mappings_fallback_order_uq" ON "endpoint_model_mappings" USING btree ("endpoint_id","fallback_order") WHERE "endpoint_model_mappings"."fallback_order" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "endpoint_model_mappings_model_idx" ON "endpoint_model_mappings" USING btree ("model_definition_id");--> statement-breakpoint
CREATE UNIQUE INDEX "endpoints_name_uq" ON "endpoints" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "model_definitions_name_uq" ON "model_definitions" USING btree ("name");--> statement-breakpoint
CREATE INDEX "model_definitions_secret_idx" ON "model_definitions" USING btree ("secret_id");--> statement-breakpoint
CREATE INDEX "model_definitions_provider_idx" ON "model_definitions" USING btree ("provider");