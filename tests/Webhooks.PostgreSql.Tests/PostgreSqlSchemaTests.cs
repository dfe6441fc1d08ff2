using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.PostgreSql.Delivery;
using Webhooks.PostgreSql.Schema;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSchemaTests(PostgresCluster cluster)
{
    [Fact]
    public async Task Migrate_SeveralInstancesStartingAtOnce_ApplyEachVersionOnce()
    {
        var cs = await cluster.CreateDatabaseAsync("schema_concurrent");
        var providers = Enumerable.Range(0, 6).Select(_ => Pg.Services(cs, o => o.Schema = "racing")).ToArray();
        try
        {
            await Task.WhenAll(providers.Select(p => Task.Run(() => p.GetRequiredService<PostgreSqlWebhookDatabase>().EnsureSchemaAsync(default))));

            var versions = await Pg.ScalarAsync<long>(cs, "SELECT count(*) FROM racing.migrations");
            versions.Should().Be(PostgreSqlMigrations.Latest);
            var tables = await Pg.ScalarAsync<long>(cs, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'racing'");
            tables.Should().Be(7, "six tables (rate_limits added by migration 6) plus the migrations table (health and stats were dropped by migration 3)");
        }
        finally
        {
            foreach (var p in providers)
            {
                await p.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Migrate_OnRestart_KeepsDataAndAddsNothing()
    {
        var cs = await cluster.CreateDatabaseAsync("schema_restart");
        var subscription = new WebhookSubscription
        {
            Id = "sub_kept",
            Name = "kept",
            Url = "https://example.com/hook",
            Events = ["order.created"],
            Secrets = [new WebhookSecret(WebhookSecret.Generate())],
        };
        await using (var first = Pg.Services(cs, o => o.Schema = "again"))
        {
            await first.GetRequiredService<IWebhookSubscriptionStore>().CreateAsync(subscription, default);
        }

        await using var second = Pg.Services(cs, o => o.Schema = "again");
        var read = await second.GetRequiredService<IWebhookSubscriptionStore>().GetAsync("sub_kept", default);

        read.Should().NotBeNull();
        (await Pg.ScalarAsync<long>(cs, "SELECT count(*) FROM again.migrations")).Should().Be(PostgreSqlMigrations.Latest);
    }

    [Fact]
    public async Task Schemas_AreIsolatedFromEachOther()
    {
        var cs = await cluster.CreateDatabaseAsync("schema_isolated");
        await using var a = Pg.Services(cs, o => o.Schema = "tenant_a");
        await using var b = Pg.Services(cs, o => o.Schema = "tenant_b");
        var message = new WebhookMessage { Id = "msg_1", EventType = "order.created", Timestamp = DateTimeOffset.UtcNow, CreatedAt = DateTimeOffset.UtcNow, Payload = "{}"u8.ToArray() };
        await a.GetRequiredService<IWebhookDeliveryStore>().EnqueueAsync(message, [new WebhookDelivery { Id = "dlv_1", MessageId = "msg_1", SubscriptionId = "sub_1", EventType = "order.created", CreatedAt = message.CreatedAt }], null, default);

        (await b.GetRequiredService<IWebhookDeliveryStore>().LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Should().BeEmpty();
        (await a.GetRequiredService<IWebhookDeliveryStore>().LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Should().ContainSingle();
    }

    /// <summary>
    /// A lease writes only columns no index holds, on pages that keep room for it (fillfactor): PostgreSQL
    /// updates every leased row in place (a HOT update), with no new index entries and none left dead for
    /// the next lease to step over. An index on a lease column, or pages packed full, would undo it.
    /// </summary>
    [Fact]
    public async Task Lease_UpdatesTheLeasedRowsInPlace()
    {
        var cs = await cluster.CreateDatabaseAsync("schema_hot_lease");
        await using var services = Pg.Services(cs, o => o.Schema = "hot");
        var store = services.GetRequiredService<IWebhookDeliveryStore>();
        var message = StoreData.NewMessage("msg_hot");
        // Enough rows to fill several pages, leased a batch at a time as the dispatcher does.
        await store.EnqueueAsync(message, [.. Enumerable.Range(0, 200).Select(i => StoreData.NewDelivery(message, $"dlv_hot_{i:D3}", "sub_1"))], null, default);

        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lease = new NpgsqlCommand("SELECT count(*) FROM hot.lease(32, 'test:', interval '1 minute')", connection, transaction))
        {
            (await lease.ExecuteScalarAsync()).Should().Be(32L);
        }

        await using var stats = new NpgsqlCommand("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE schemaname = 'hot' AND relname = 'deliveries'", connection, transaction);
        await using var reader = await stats.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue();
        reader.GetInt64(0).Should().Be(32, "the lease updated 32 rows");
        // A page may run out of room before its last leased rows (how many fit depends on the rows' size):
        // nearly all, not all. Packed pages (fillfactor 100) or an indexed lease column give few or none.
        reader.GetInt64(1).Should().BeGreaterThanOrEqualTo(28, "the leased rows are updated in place");
    }

    /// <summary>
    /// Runs each store query with sequential scans disabled and checks, in PostgreSQL's own index
    /// statistics, that the index meant for it was used: a query without a usable index would scan the table.
    /// </summary>
    [Fact]
    public async Task StoreQueries_UseTheirIndexes()
    {
        var cs = await cluster.CreateDatabaseAsync("schema_indexes");
        var noSeqScan = new NpgsqlConnectionStringBuilder(cs) { Options = "-c enable_seqscan=off" }.ConnectionString;
        var now = DateTimeOffset.UtcNow;
        await using (var services = Pg.Services(noSeqScan, o => o.Schema = "idx"))
        {
            var subscriptions = services.GetRequiredService<IWebhookSubscriptionStore>();
            var deliveries = (PostgreSqlWebhookDeliveryStore)services.GetRequiredService<IWebhookDeliveryStore>();
            await services.GetRequiredService<PostgreSqlWebhookDatabase>().EnsureSchemaAsync(default);
            await subscriptions.CreateAsync(new WebhookSubscription { Id = "sub_1", Owner = "t", Name = "a", Url = "https://example.com", Events = ["order.*"], Secrets = [new WebhookSecret(WebhookSecret.Generate())] }, default);
            var message = new WebhookMessage { Id = "msg_1", EventType = "order.created", Owner = "t", Timestamp = now, CreatedAt = now, Payload = "{}"u8.ToArray() };
            await deliveries.EnqueueAsync(message, [new WebhookDelivery { Id = "dlv_1", MessageId = "msg_1", SubscriptionId = "sub_1", EventType = "order.created", Owner = "t", CreatedAt = now }], null, default);

            (await subscriptions.FindForEventAsync("t", ["order.created", "order.*", "*"], null, default)).Should().ContainSingle();
            (await subscriptions.ListAsync(new WebhookSubscriptionQuery("t"), default)).Items.Should().ContainSingle();
            var lease = (await deliveries.LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Single();
            await deliveries.CompleteAttemptAsync(lease, new WebhookAttempt { Number = 1, StartedAt = now, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded), default);
            (await deliveries.QueryAsync(new WebhookDeliveryQuery("t"), default)).Items.Should().ContainSingle();
            (await deliveries.QueryAsync(new WebhookDeliveryQuery("t", Status: WebhookDeliveryStatus.Succeeded), default)).Items.Should().ContainSingle();
            (await deliveries.QueryAsync(new WebhookDeliveryQuery("t", "sub_1", WebhookDeliveryStatus.Succeeded), default)).Items.Should().ContainSingle();
            (await deliveries.GetAsync("dlv_1", default))!.Attempts.Should().ContainSingle();
            var minute = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
            (await deliveries.GetStatsAsync(new WebhookStatsQuery("t", "sub_1", minute.AddMinutes(-5), TimeSpan.FromMinutes(1), 6), default)).Sum(b => b.Succeeded).Should().Be(1);
            (await deliveries.GetStatsAsync(new WebhookStatsQuery("t", null, minute.AddMinutes(-5), TimeSpan.FromMinutes(1), 6), default)).Sum(b => b.Succeeded).Should().Be(1);
            (await deliveries.PurgeAsync(now.AddDays(-1), 100, default)).Should().Be(0);
        }

        // Disposing the services closed the pool: the server sessions report their statistics as they exit.
        // On tables this small the planner may serve one filter shape from a neighbouring index (the
        // subscription-and-status page from (owner, status, id), say), so only one index per query shape is required.
        string[] expected =
        [
            "subscriptions_event_keys", "subscriptions_owner_id", "deliveries_due", "deliveries_owner", "deliveries_owner_status",
            "attempts_delivery", "attempts_subscription_started", "attempts_owner_started", "deliveries_finished", "messages_empty",
        ];
        string[] unused = expected;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                await using var connection = new NpgsqlConnection(cs);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT indexrelname FROM pg_stat_user_indexes WHERE schemaname = 'idx' AND idx_scan > 0", connection);
                var used = new List<string>();
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    used.Add(reader.GetString(0));
                }

                unused = [.. expected.Except(used)];
                return unused.Length == 0;
            }, "index statistics", TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
        }

        unused.Should().BeEmpty("every store query runs on its index");
    }

    [Fact]
    public async Task UsePostgreSql_AppsDataSource_IsUsedAndNotDisposed()
    {
        var cs = await cluster.CreateDatabaseAsync("schema_datasource");
        await using var dataSource = NpgsqlDataSource.Create(cs);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWebhooks().UsePostgreSql(dataSource, o => o.Schema = "app_source");
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IWebhookSubscriptionStore>().CreateAsync(new WebhookSubscription
            {
                Id = "sub_1",
                Name = "a",
                Url = "https://example.com/hook",
                Events = ["order.created"],
                Secrets = [new WebhookSecret(WebhookSecret.Generate())],
            }, default);
        }

        await using var command = dataSource.CreateCommand("SELECT count(*) FROM app_source.subscriptions");
        ((long)(await command.ExecuteScalarAsync())!).Should().Be(1, "the app's data source still works after the webhooks' services are disposed");
    }

    [Fact]
    public async Task Start_InvalidSchemaName_FailsWithWhatToFix()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddWebhooks().UsePostgreSql("Host=127.0.0.1;Port=1;Database=x", o =>
        {
            o.Schema = "bad-name; DROP";
        });
        using var host = builder.Build();

        var start = () => host.StartAsync();

        var error = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        error.Message.Should().Contain("Schema 'bad-name; DROP'").And.Contain("letters, digits and underscores");
    }

    [Fact]
    public void UsePostgreSql_MalformedConnectionString_ThrowsArgumentException()
    {
        var act = () => new ServiceCollection().AddWebhooks().UsePostgreSql("Host=x;Nonsense Key=1");

        act.Should().Throw<ArgumentException>().WithMessage("*connection string is malformed*");
    }

    [Fact]
    public async Task Start_UnreachableDatabase_FailsTheStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddWebhooks().UsePostgreSql($"Host=127.0.0.1;Port={UnusedPort()};Database=x;Timeout=2");
        using var host = builder.Build();

        var start = () => host.StartAsync();

        await start.Should().ThrowAsync<NpgsqlException>();
    }

    private static int UnusedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
