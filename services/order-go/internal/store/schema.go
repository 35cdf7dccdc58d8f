package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// KnownMigrations are, per Django app whose tables order-go reads or writes, every migration
// it was written against, oldest first. The Django order project's migrations own the schema
// (issue 13): a database missing the last of them is too old for order-go, and one with a
// migration not listed here is newer than order-go knows. Both refuse to start.
var KnownMigrations = map[string][]string{
	"orders":           {"0001_initial"},
	"musiccorp_common": {"0001_initial", "0002_outbox_lease_backoff_park"},
	// auth_user: HTTP basic auth of staff users for the order list.
	"auth": {
		"0001_initial", "0002_alter_permission_name_max_length", "0003_alter_user_email_max_length",
		"0004_alter_user_username_opts", "0005_alter_user_last_login_null", "0006_require_contenttypes_0002",
		"0007_alter_validators_add_error_messages", "0008_alter_user_username_max_length",
		"0009_alter_user_last_name_max_length", "0010_alter_group_name_max_length",
		"0011_update_proxy_permissions", "0012_alter_user_first_name_max_length",
	},
}

// SchemaError says why the database's schema is not one order-go can run on.
type SchemaError struct{ Problems []string }

func (e *SchemaError) Error() string {
	return "the order database's schema is not the one order-go knows (apply the Django order " +
		"project's migrations, or deploy an order-go that knows them): " + strings.Join(e.Problems, "; ")
}

// CheckSchema compares django_migrations with KnownMigrations; a *SchemaError when they differ.
func CheckSchema(ctx context.Context, q Querier) error {
	applied := map[string][]string{}
	rows, err := q.Query(ctx, "SELECT app, name FROM django_migrations WHERE app = ANY($1)", appNames())
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return &SchemaError{Problems: []string{"no django_migrations table: the database was never migrated"}}
		}
		return fmt.Errorf("reading django_migrations: %w", err)
	}
	for rows.Next() {
		var app, name string
		if err := rows.Scan(&app, &name); err != nil {
			return err
		}
		applied[app] = append(applied[app], name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading django_migrations: %w", err)
	}
	var problems []string
	for _, app := range appNames() {
		known := KnownMigrations[app]
		latest := known[len(known)-1]
		if !slices.Contains(applied[app], latest) {
			problems = append(problems, fmt.Sprintf("%s: migration %s is not applied", app, latest))
		}
		for _, name := range applied[app] {
			if !slices.Contains(known, name) {
				problems = append(problems, fmt.Sprintf("%s: unknown migration %s is applied", app, name))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return &SchemaError{Problems: problems}
	}
	return nil
}

func appNames() []string {
	names := make([]string, 0, len(KnownMigrations))
	for app := range KnownMigrations {
		names = append(names, app)
	}
	slices.Sort(names)
	return names
}
