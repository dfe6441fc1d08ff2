using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.PostgreSql.Tests.Infrastructure;
using Webhooks.Testing;

namespace Webhooks.PostgreSql.Tests.Conformance;

/// <summary>Gives each conformance test an empty schema of its own suite, and closes its data source after the test.</summary>
internal static class PgConformance
{
    public static async Task<PgStores> CreateAsync(PostgresCluster cluster, string schema) =>
        await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("conformance"), schema);
}

/// <summary>The PostgreSQL subscription store keeps the subscription contract.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSubscriptionStoreConformanceTests(PostgresCluster cluster) : SubscriptionStoreConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookSubscriptionStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "subscriptions")).Subscriptions;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the queue contract (on the database's clock).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryQueueConformanceTests(PostgresCluster cluster) : DeliveryQueueConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "queue")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the delivery-log contract.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryLogConformanceTests(PostgresCluster cluster) : DeliveryLogConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "log")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the administration contract.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryAdministrationConformanceTests(PostgresCluster cluster) : DeliveryAdministrationConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "administration")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the statistics contract (counted from the attempts).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryStatisticsConformanceTests(PostgresCluster cluster) : DeliveryStatisticsConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "statistics")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the retention contract.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryRetentionConformanceTests(PostgresCluster cluster) : DeliveryRetentionConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "retention")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the backlog contract (on the database's clock).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryBacklogConformanceTests(PostgresCluster cluster) : DeliveryBacklogConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "backlog")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the ordering contract (enqueue sequence per subscription and key).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryOrderingConformanceTests(PostgresCluster cluster) : DeliveryOrderingConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "ordering")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store keeps the shared rate limit contract (GCRA on the database's clock).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryRateLimitConformanceTests(PostgresCluster cluster) : DeliveryRateLimitConformanceTests
{
    private PgStores? _stores;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        (_stores = await PgConformance.CreateAsync(cluster, "ratelimit")).Deliveries;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
    }
}
