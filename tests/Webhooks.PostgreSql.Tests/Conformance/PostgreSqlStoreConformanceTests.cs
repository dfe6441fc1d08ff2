using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;
using Webhooks.PostgreSql.Tests.Infrastructure;
using Webhooks.Testing;

namespace Webhooks.PostgreSql.Tests.Conformance;

/// <summary>The PostgreSQL subscription store passes the same contract tests as the in-memory one.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSubscriptionStoreConformanceTests(PostgresCluster cluster) : SubscriptionStoreConformanceTests
{
    private ServiceProvider? _services;

    protected override async Task<IWebhookSubscriptionStore> CreateStoreAsync()
    {
        _services = Pg.Services(await cluster.CreateDatabaseAsync("subscription_conformance"));
        await Pg.ResetAsync(_services);
        return _services.GetRequiredService<IWebhookSubscriptionStore>();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}

/// <summary>The PostgreSQL delivery store passes the same contract tests as the in-memory one.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryStoreConformanceTests(PostgresCluster cluster) : DeliveryStoreConformanceTests
{
    private ServiceProvider? _services;

    protected override async Task<IWebhookDeliveryStore> CreateStoreAsync()
    {
        _services = Pg.Services(await cluster.CreateDatabaseAsync("delivery_conformance"));
        await Pg.ResetAsync(_services);
        return _services.GetRequiredService<IWebhookDeliveryStore>();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}
