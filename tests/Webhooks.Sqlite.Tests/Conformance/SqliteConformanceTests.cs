using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Sqlite.Tests.Infrastructure;
using Webhooks.Testing;

namespace Webhooks.Sqlite.Tests.Conformance;

// Every suite of Webhooks.Testing, unchanged, each test on a fresh file with the system clock.

public sealed class SqliteSubscriptionStoreConformanceTests : SubscriptionStoreConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookSubscriptionStore> CreateStoreAsync() => Task.FromResult<IWebhookSubscriptionStore>(_file.Subscriptions());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}

public sealed class SqliteDeliveryQueueConformanceTests : DeliveryQueueConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(_file.Deliveries());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}

public sealed class SqliteDeliveryLogConformanceTests : DeliveryLogConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(_file.Deliveries());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}

public sealed class SqliteDeliveryAdministrationConformanceTests : DeliveryAdministrationConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(_file.Deliveries());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}

public sealed class SqliteDeliveryStatisticsConformanceTests : DeliveryStatisticsConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(_file.Deliveries());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}

public sealed class SqliteDeliveryRetentionConformanceTests : DeliveryRetentionConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(_file.Deliveries());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}

public sealed class SqliteDeliveryBacklogConformanceTests : DeliveryBacklogConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(_file.Deliveries());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}

public sealed class SqliteDeliveryOrderingConformanceTests : DeliveryOrderingConformanceTests
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(_file.Deliveries());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}
