using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Sqlite.Delivery;
using Webhooks.Sqlite.Subscriptions;
using Webhooks.Sqlite.Tests.Infrastructure;
using static Webhooks.Sqlite.Tests.Infrastructure.Samples;

namespace Webhooks.Sqlite.Tests;

/// <summary>The file itself: created and migrated once, WAL, reopened after a restart with nothing lost; and UseSqlite's wiring.</summary>
public sealed class SqliteSchemaTests : IDisposable
{
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task FirstUse_CreatesTheSchemaOnce_InWalMode()
    {
        await _file.Subscriptions().GetAsync("sub_x", default);
        await _file.Deliveries().LeaseAsync(1, TimeSpan.FromSeconds(1), default);

        _file.Column("SELECT version FROM schema_version").Should().Equal("1", "2", "3");
        _file.Scalar<string>("PRAGMA journal_mode").Should().Be("wal");
        _file.Column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").Should()
            .Equal("attempts", "deliveries", "messages", "schema_version", "subscription_events", "subscriptions");
    }

    [Fact]
    public async Task NewerSchemaVersion_IsRefusedWithWhatToDo()
    {
        await _file.Subscriptions().GetAsync("sub_x", default);
        using (var connection = new SqliteConnection(_file.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_version VALUES (99, 0)";
            command.ExecuteNonQuery();
        }

        await _file.Subscriptions().Invoking(s => s.GetAsync("sub_x", default)).Should().ThrowAsync<WebhookException>().WithMessage("*schema version 99*upgrade*");
    }

    [Fact]
    public async Task Reopen_SubscriptionsPendingDeliveriesAndTheLogSurvive()
    {
        var subscription = Subscription("a", events: ["order.*"]);
        var message = Message("a");
        var (done, waiting) = (DeliveryOf(message, subscription.Id), DeliveryOf(message, "sub_other"));
        var before = _file.Open();
        await _file.Subscriptions(before).CreateAsync(subscription, default);
        var deliveries = _file.Deliveries(before);
        await deliveries.EnqueueAsync(message, [done, waiting], null, default);
        var lease = (await deliveries.LeaseAsync(2, TimeSpan.FromMinutes(1), default)).Single(l => l.Delivery.Id == done.Id);
        await deliveries.CompleteAttemptAsync(lease, Attempt(1, T0), new(WebhookDeliveryStatus.Succeeded), default);
        before.Dispose();
        SqliteConnection.ClearAllPools();
        _file.FakeClock.Advance(TimeSpan.FromMinutes(1)); // the crashed holder's lease on 'waiting' expires

        var after = _file.Open();
        (await _file.Subscriptions(after).FindForEventAsync("a", ["order.*"], null, default)).Should().ContainSingle().Which.Should().BeEquivalentTo(subscription with { Version = 1 });
        var reopened = _file.Deliveries(after);
        var retaken = (await reopened.LeaseAsync(5, TimeSpan.FromMinutes(1), default)).Should().ContainSingle().Subject;
        retaken.Delivery.Id.Should().Be(waiting.Id);
        retaken.Message.Payload.ToArray().Should().Equal(message.Payload.ToArray());
        (await reopened.GetAsync(done.Id, default))!.Attempts.Should().Equal(Attempt(1, T0));
        (await reopened.QueryAsync(new WebhookDeliveryQuery("a"), default)).Items.Should().HaveCount(2);
    }

    [Fact]
    public async Task UseSqlite_ReplacesBothStoresWithOneDeliveryStoreHavingEveryCapability_OnTheRegisteredClock()
    {
        var clock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddWebhooks().UseSqlite(_file.ConnectionString);
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IWebhookSubscriptionStore>().Should().BeOfType<SqliteWebhookSubscriptionStore>();
        var store = provider.GetRequiredService<IWebhookDeliveryStore>();
        store.Should().BeOfType<SqliteWebhookDeliveryStore>().And.BeSameAs(provider.GetRequiredService<IWebhookDeliveryStore>());
        store.Should().BeAssignableTo<IWebhookDeliveryLog>().And.BeAssignableTo<IWebhookDeliveryAdministration>()
            .And.BeAssignableTo<IWebhookDeliveryStatistics>().And.BeAssignableTo<IWebhookDeliveryRetention>();
        provider.GetServices<IHostedService>().Should().Contain(s => s.GetType().Name == "SqliteSchemaInitializer");
        services.Count(d => d.ServiceType == typeof(IWebhookDeliveryStore)).Should().Be(1);
        var message = Message();
        await store.EnqueueAsync(message, [DeliveryOf(message, "sub_1")], null, default);
        (await ((IWebhookDeliveryLog)store).QueryAsync(new WebhookDeliveryQuery(message.Owner), default)).Items.Single().NextAttemptAt.Should().Be(clock.GetUtcNow());
    }

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=x;Mode=Memory")]
    [InlineData("Data Source=")]
    [InlineData("not a connection string")]
    public void UseSqlite_WithoutAFile_IsRefused(string connectionString)
    {
        var builder = new ServiceCollection().AddWebhooks();
        builder.Invoking(b => b.UseSqlite(connectionString)).Should().Throw<ArgumentException>().WithMessage("*Data Source=webhooks.db*");
    }
}
