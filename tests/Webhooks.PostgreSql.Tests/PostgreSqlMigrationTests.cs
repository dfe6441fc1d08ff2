using Npgsql;
using Webhooks.Abstractions.Delivery;
using Webhooks.PostgreSql.Schema;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>An existing deployment upgrades in place: a database written by v0.1 (schema version 2) is migrated, and its data reads back under the new contracts.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlMigrationTests(PostgresCluster cluster)
{
    [Fact]
    public async Task Migrate_FromVersion2WithData_UpgradesInPlace()
    {
        const string schema = "upgrade";
        var cs = await cluster.CreateDatabaseAsync("migration");
        await using (var old = PgStores.Open(cs, schema))
        {
            await CreateVersionAsync(old, 2);
            await ExecuteAsync(old, """
                INSERT INTO {s}.subscriptions (id, owner, name, url, events, event_keys, secrets, auth, headers, metadata, active, created_at, updated_at, version)
                VALUES ('sub_1', 'tenant', 'a', 'https://example.com/hook', '{order.*}', '{order.*|=tenant}', '[{"value":"prot:x"}]', '{"kind":"None"}', '{}', '{}', true, now(), now(), 3),
                       ('sub_2', 'tenant', 'b', 'https://example.com/hook', '{order.*}', '{order.*|=tenant}', '[{"value":"prot:y"}]', '{"kind":"None"}', '{}', '{}', true, now(), now(), 1);
                INSERT INTO {s}.health VALUES ('sub_1', '2026-03-01T12:00:00Z', 4);
                INSERT INTO {s}.stats VALUES ('sub_1', 29000000, 1, 2);
                INSERT INTO {s}.messages (id, event_type, "timestamp", owner, payload, created_at)
                VALUES ('msg_1', 'order.created', now(), 'tenant', '\x7b7d', '2026-03-01T11:00:00Z'),
                       ('msg_2', 'order.created', now(), 'tenant', '\x7b7d', '2026-03-01T11:30:00Z'),
                       ('msg_empty', 'order.created', now(), null, '\x7b7d', '2026-03-01T11:00:00Z');
                INSERT INTO {s}.deliveries (id, message_id, subscription_id, event_type, status, attempt_count, created_at, next_attempt_at, last_error)
                VALUES ('dlv_1', 'msg_1', 'sub_1', 'order.created', 2, 2, '2026-03-01T11:00:00Z', null, 'HTTP 500'),
                       ('dlv_2', 'msg_2', 'sub_2', 'order.created', 0, 0, '2026-03-01T11:30:00Z', now() - interval '1 minute', null);
                INSERT INTO {s}.attempts (delivery_id, number, started_at, duration, status_code, error_kind, error)
                VALUES ('dlv_1', 1, '2026-03-01T11:00:10Z', interval '1 second', 500, 1, 'HTTP 500'),
                       ('dlv_1', 2, '2026-03-01T11:01:10Z', interval '0 seconds', null, 5, 'The subscription was disabled');
                """);
        }

        await using var stores = await PgStores.CreateAsync(cs, schema, reset: false);

        (await stores.ScalarAsync<int>("SELECT max(version) FROM {s}.migrations")).Should().Be(PostgreSqlMigrations.Latest);
        (await stores.ScalarAsync<long>($"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}' AND table_name IN ('health', 'stats')"))
            .Should().Be(0, "health and stats are the engine's now: their tables are dropped");
        var failing = (await stores.Subscriptions.GetAsync("sub_1", default))!;
        failing.FailingSince.Should().Be(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero), "the health row's failing-since moves onto the subscription");
        failing.Version.Should().Be(3);
        (await stores.Subscriptions.GetAsync("sub_2", default))!.FailingSince.Should().BeNull();

        var log = await stores.Deliveries.QueryAsync(new WebhookDeliveryQuery("tenant"), default);
        log.Items.Select(d => (d.Id, d.Owner)).Should().Equal(("dlv_2", "tenant"), ("dlv_1", "tenant"));
        (await stores.Deliveries.GetAsync("dlv_1", default))!.Attempts.Should().HaveCount(2, "the log keeps every attempt v0.1 recorded");
        var stats = await stores.Deliveries.GetStatsAsync(new WebhookStatsQuery("tenant", "sub_1", new DateTimeOffset(2026, 3, 1, 11, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(5), 1), default);
        stats.Single().Should().Be(new WebhookStatsBucket(new DateTimeOffset(2026, 3, 1, 11, 0, 0, TimeSpan.Zero), 0, 1),
            "v0.1 never counted an attempt to an unavailable subscription, and neither does the upgrade");

        var lease = (await stores.Deliveries.LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Should().ContainSingle().Subject;
        lease.Delivery.Id.Should().Be("dlv_2");
        lease.Delivery.Owner.Should().Be("tenant");
        lease.Message.CreatedAt.Should().Be(new DateTimeOffset(2026, 3, 1, 11, 30, 0, TimeSpan.Zero));
        (await stores.Deliveries.CompleteAttemptAsync(lease, new WebhookAttempt { Number = 1, StartedAt = DateTimeOffset.UtcNow, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded), default))
            .Should().BeTrue();

        (await stores.Deliveries.PurgeAsync(DateTimeOffset.UtcNow, 100, default)).Should().Be(2);
        (await stores.ScalarAsync<long>("SELECT count(*) FROM {s}.messages")).Should().Be(0, "the message that never had a delivery is marked empty by the migration and removed too");
    }

    /// <summary>
    /// Migration 8 re-indexes pending deliveries by next attempt while leases are out: a delivery held by an
    /// unexpired lease stays held (and its holder can still record it), one whose lease expired is taken
    /// over, one never leased goes, and the backlog still reports a held delivery's due time as its lease's expiry.
    /// </summary>
    [Fact]
    public async Task Migrate_FromVersion7_WithLeasesOut_KeepsEachDeliverysState()
    {
        const string schema = "upgrade8";
        var cs = await cluster.CreateDatabaseAsync("migration8");
        await using (var old = PgStores.Open(cs, schema))
        {
            await CreateVersionAsync(old, 7);
            await ExecuteAsync(old, """
                INSERT INTO {s}.messages (id, event_type, "timestamp", owner, payload, created_at)
                VALUES ('msg_1', 'order.created', now(), 'tenant', '\x7b7d', now() - interval '10 minutes');
                INSERT INTO {s}.deliveries (id, message_id, subscription_id, event_type, owner, status, attempt_count, created_at, next_attempt_at, lease_id, lease_expires_at)
                VALUES ('dlv_due', 'msg_1', 'sub_1', 'order.created', 'tenant', 0, 0, now() - interval '10 minutes', now() - interval '30 seconds', null, null),
                       ('dlv_held', 'msg_1', 'sub_1', 'order.created', 'tenant', 0, 0, now() - interval '10 minutes', now() - interval '9 minutes', 'other:dlv_held', now() + interval '10 minutes'),
                       ('dlv_expired', 'msg_1', 'sub_1', 'order.created', 'tenant', 0, 0, now() - interval '10 minutes', now() - interval '8 minutes', 'gone:dlv_expired', now() - interval '1 minute');
                """);
        }

        await using var stores = await PgStores.CreateAsync(cs, schema, reset: false);
        (await stores.ScalarAsync<int>("SELECT max(version) FROM {s}.migrations")).Should().Be(PostgreSqlMigrations.Latest);

        var backlog = await stores.Deliveries.GetBacklogAsync(default);
        backlog.Pending.Should().Be(3);
        var expiredAt = await stores.ScalarAsync<DateTime>("SELECT lease_expires_at FROM {s}.deliveries WHERE id = 'dlv_expired'");
        backlog.OldestDueAt.Should().Be(new DateTimeOffset(DateTime.SpecifyKind(expiredAt, DateTimeKind.Utc)),
            "the earliest due time is the expired lease's expiry (a minute ago), not the earliest next attempt (the held one's, nine minutes ago) nor the unleased one's (30 s ago)");

        var leases = await stores.Deliveries.LeaseAsync(10, TimeSpan.FromMinutes(1), default);
        leases.Select(l => l.Delivery.Id).Should().Equal(["dlv_expired", "dlv_due"], "the held delivery stays with its holder; the others go oldest next attempt first");

        var held = (await stores.Deliveries.GetAsync("dlv_held", default))!.Delivery;
        var heldLease = new WebhookLease(held, leases[0].Message, "other:dlv_held", DateTimeOffset.UtcNow.AddMinutes(10));
        (await stores.Deliveries.CompleteAttemptAsync(heldLease, new WebhookAttempt { Number = 1, StartedAt = DateTimeOffset.UtcNow, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded), default))
            .Should().BeTrue("the lease taken before the upgrade still holds its delivery");
        (await stores.Deliveries.LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Should().BeEmpty();
    }

    [Fact]
    public async Task Migrate_Version3_AddsTheExpectedColumnsAndIndexes()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("migration"), "shape");

        var columns = await stores.ScalarAsync<string>("""
            SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name, column_name) FROM information_schema.columns
            WHERE table_schema = 'shape' AND column_name IN ('failing_since', 'owner', 'subscription_id', 'empty')
            """);
        var indexes = await stores.ScalarAsync<string>("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'shape'");

        columns.Split(',').Should().Contain(["attempts.owner", "attempts.subscription_id", "deliveries.owner", "messages.empty", "subscriptions.failing_since"]);
        indexes.Split(',').Should().Contain(["attempts_owner_started", "attempts_subscription_started", "deliveries_owner", "deliveries_owner_status", "deliveries_finished", "messages_empty"])
            .And.NotContain(["attempts_started_at", "messages_created_at"]);
    }

    /// <summary>Lays out the schema as a release left it: migrations 1 to <paramref name="upTo"/>, recorded (2: v0.1).</summary>
    private static async Task CreateVersionAsync(PostgreSqlWebhookDatabase db, int upTo)
    {
        await ExecuteAsync(db, """
            CREATE SCHEMA {s};
            CREATE TABLE {s}.migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
            """);
        foreach (var (version, description, sql) in PostgreSqlMigrations.All.Where(m => m.Version <= upTo))
        {
            await ExecuteAsync(db, sql);
            await ExecuteAsync(db, $"INSERT INTO {{s}}.migrations (version, description) VALUES ({version}, '{description.Replace("'", "''")}')");
        }
    }

    private static async Task ExecuteAsync(PostgreSqlWebhookDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(db.Sql(sql));
        await command.ExecuteNonQueryAsync();
    }
}
