using Microsoft.Extensions.DependencyInjection;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;

namespace Webhooks.Testing.Tests;

// The in-memory stores of Webhooks.Core, reached the way an app reaches them (through AddWebhooks),
// one fresh service provider per test, on the system clock.

public sealed class InMemorySubscriptionStoreConformanceTests : SubscriptionStoreConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookSubscriptionStore> CreateStoreAsync()
    {
        _services = InMemory.Services();
        return Task.FromResult(_services.GetRequiredService<IWebhookSubscriptionStore>());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}

public sealed class InMemoryDeliveryQueueConformanceTests : DeliveryQueueConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => InMemory.DeliveryStore(ref _services);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}

public sealed class InMemoryDeliveryLogConformanceTests : DeliveryLogConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => InMemory.DeliveryStore(ref _services);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}

public sealed class InMemoryDeliveryAdministrationConformanceTests : DeliveryAdministrationConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => InMemory.DeliveryStore(ref _services);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}

public sealed class InMemoryDeliveryStatisticsConformanceTests : DeliveryStatisticsConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => InMemory.DeliveryStore(ref _services);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}

public sealed class InMemoryDeliveryRetentionConformanceTests : DeliveryRetentionConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => InMemory.DeliveryStore(ref _services);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}

public sealed class InMemoryDeliveryBacklogConformanceTests : DeliveryBacklogConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => InMemory.DeliveryStore(ref _services);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}

internal static class InMemory
{
    public static ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddWebhooks();
        return services.BuildServiceProvider();
    }

    public static Task<IWebhookDeliveryStore> DeliveryStore(ref ServiceProvider? services)
    {
        services = Services();
        return Task.FromResult(services.GetRequiredService<IWebhookDeliveryStore>());
    }

    public static ValueTask DisposeAsync(ServiceProvider? services) => services?.DisposeAsync() ?? ValueTask.CompletedTask;
}

public sealed class InMemoryDeliveryOrderingConformanceTests : DeliveryOrderingConformanceTests
{
    private ServiceProvider? _services;

    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => InMemory.DeliveryStore(ref _services);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await InMemory.DisposeAsync(_services);
    }
}
