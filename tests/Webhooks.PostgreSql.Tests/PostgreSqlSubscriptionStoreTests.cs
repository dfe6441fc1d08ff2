using Npgsql;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>What the PostgreSQL subscription store adds to the contract: reads through the app's transaction, atomic versioned deletes, stored fields as given.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSubscriptionStoreTests(PostgresCluster cluster)
{
    /// <summary>
    /// Defect 7 at the store: with the app's transaction as context, the subscriber lookup reads on
    /// the transaction's connection. On a data source whose one pooled connection the app holds, a
    /// lookup that took a connection of its own would wait for the pool and time out.
    /// </summary>
    [Fact]
    public async Task FindForEvent_ThroughContext_ReadsOnTheTransactionsConnection()
    {
        var cs = await cluster.CreateDatabaseAsync("subscriptions");
        await using (var setup = await PgStores.CreateAsync(cs, "find_tx"))
        {
            await setup.Subscriptions.CreateAsync(Subscription("sub_1", "a", owner: "t"), default);
        }

        var single = new NpgsqlConnectionStringBuilder(cs) { MaxPoolSize = 1, Timeout = 3 }.ConnectionString;
        await using var stores = await PgStores.CreateAsync(single, "find_tx", reset: false);
        await using var connection = await stores.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var found = await stores.Subscriptions.FindForEventAsync("t", ["order.created", "order.*", "*"], new PostgreSqlEnqueueContext(transaction), default)
            .WaitAsync(TimeSpan.FromSeconds(20));
        var withoutContext = () => stores.Subscriptions.FindForEventAsync("t", ["order.created"], null, default).WaitAsync(TimeSpan.FromSeconds(20));

        found.Should().ContainSingle().Which.Id.Should().Be("sub_1");
        await withoutContext.Should().ThrowAsync<NpgsqlException>("outside the transaction the lookup needs a second connection, and the pool has one");
    }

    /// <summary>The lookup inside a transaction sees the app's own uncommitted subscription changes (one connection, one view).</summary>
    [Fact]
    public async Task FindForEvent_ThroughContext_SeesTheTransactionsOwnWrites()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("subscriptions"), "find_tx_view");
        await stores.Subscriptions.CreateAsync(Subscription("sub_1", "a"), default);
        await using var connection = new NpgsqlConnection(stores.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var disable = new NpgsqlCommand(stores.Database.Sql("UPDATE {s}.subscriptions SET active = false"), connection, transaction))
        {
            await disable.ExecuteNonQueryAsync();
        }

        string[] patterns = ["order.created", "order.*", "*"];
        (await stores.Subscriptions.FindForEventAsync(null, patterns, new PostgreSqlEnqueueContext(transaction), default)).Should().BeEmpty();
        (await stores.Subscriptions.FindForEventAsync(null, patterns, null, default)).Should().ContainSingle();
    }

    /// <summary>Delete compares the version and deletes in one step: the right version deletes, a stale one throws with both versions, a missing id returns false.</summary>
    [Fact]
    public async Task Delete_WithExpectedVersion_ComparesAndDeletesAtomically()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("subscriptions"), "delete_version");
        var created = await stores.Subscriptions.CreateAsync(Subscription("sub_1", "a"), default);
        var updated = (await stores.Subscriptions.UpdateAsync(created with { Description = "changed" }, default))!;

        var stale = () => stores.Subscriptions.DeleteAsync("sub_1", created.Version, default);

        var error = (await stale.Should().ThrowAsync<WebhookConcurrencyException>()).Which;
        error.ExpectedVersion.Should().Be(1);
        error.ActualVersion.Should().Be(2);
        (await stores.Subscriptions.DeleteAsync("sub_1", updated.Version, default)).Should().BeTrue();
        (await stores.Subscriptions.DeleteAsync("sub_1", updated.Version, default)).Should().BeFalse();
        (await stores.Subscriptions.DeleteAsync("sub_1", null, default)).Should().BeFalse();
    }

    /// <summary>Of many deletes holding the same version, racing an update, at most one wins, and never after the update.</summary>
    [Fact]
    public async Task Delete_RacingAnUpdate_NeverDeletesTheNewVersion()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("subscriptions"), "delete_race");
        for (int round = 0; round < 10; round++)
        {
            var id = $"sub_{round}";
            var created = await stores.Subscriptions.CreateAsync(Subscription(id, $"n{round}"), default);
            var update = Task.Run(async () =>
            {
                try
                {
                    return await stores.Subscriptions.UpdateAsync(created with { Description = "changed" }, default);
                }
                catch (WebhookException)
                {
                    return null;
                }
            });
            var delete = Task.Run(async () =>
            {
                try
                {
                    return await stores.Subscriptions.DeleteAsync(id, created.Version, default);
                }
                catch (WebhookConcurrencyException)
                {
                    return false;
                }
            });

            var (updated, deleted) = (await update.WaitAsync(TimeSpan.FromSeconds(20)), await delete.WaitAsync(TimeSpan.FromSeconds(20)));

            (updated is not null ^ deleted).Should().BeTrue("exactly one of the two writers holding version 1 wins");
            (await stores.Subscriptions.GetAsync(id, default) is null).Should().Be(deleted);
        }
    }

    /// <summary>
    /// The store keeps every field as given: secrets and auth values exactly as the engine handed
    /// them over (already protected), and the health field <c>FailingSince</c>.
    /// </summary>
    [Fact]
    public async Task CreateUpdateGet_KeepFieldsAsGiven_IncludingFailingSinceAndProtectedValues()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("subscriptions"), "as_given");
        var failingSince = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var subscription = Subscription("sub_1", "a") with
        {
            Secrets = [new WebhookSecret("prot:opaque-current"), new WebhookSecret("prot:opaque-old", failingSince.AddDays(1))],
            Auth = WebhookAuth.Bearer("prot:opaque-token"),
            FailingSince = failingSince,
        };

        var created = await stores.Subscriptions.CreateAsync(subscription, default);
        var healthy = await stores.Subscriptions.UpdateAsync(created with { FailingSince = null }, default);
        var read = await stores.Subscriptions.GetAsync("sub_1", default);

        created.FailingSince.Should().Be(failingSince);
        created.Secrets.Select(s => s.Value).Should().Equal("prot:opaque-current", "prot:opaque-old");
        created.Auth.Secret.Should().Be("prot:opaque-token");
        healthy!.FailingSince.Should().BeNull();
        read!.FailingSince.Should().BeNull();
        read.Version.Should().Be(2);
        (await stores.ScalarAsync<string>("SELECT secrets::text || auth::text FROM {s}.subscriptions")).Should().Contain("prot:opaque-current").And.Contain("prot:opaque-token");
    }

    internal static WebhookSubscription Subscription(string id, string name, string? owner = null) => new()
    {
        Id = id,
        Owner = owner,
        Name = name,
        Url = "https://example.com/hook",
        Events = ["order.*"],
        Secrets = [new WebhookSecret(WebhookSecret.Generate())],
        CreatedAt = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero),
    };
}
