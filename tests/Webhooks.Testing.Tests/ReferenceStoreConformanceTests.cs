using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Testing.Tests.Stores;

namespace Webhooks.Testing.Tests;

// The suites must pass against the simplest correct stores: a test that fails here is wrong, not the store.

public sealed class ReferenceSubscriptionStoreConformanceTests : SubscriptionStoreConformanceTests
{
    protected override Task<IWebhookSubscriptionStore> CreateStoreAsync() => Task.FromResult<IWebhookSubscriptionStore>(new ReferenceSubscriptionStore());
}

public sealed class ReferenceDeliveryQueueConformanceTests : DeliveryQueueConformanceTests
{
    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(new ReferenceDeliveryStore());
}

public sealed class ReferenceDeliveryLogConformanceTests : DeliveryLogConformanceTests
{
    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(new ReferenceDeliveryStore());
}

public sealed class ReferenceDeliveryAdministrationConformanceTests : DeliveryAdministrationConformanceTests
{
    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(new ReferenceDeliveryStore());
}

public sealed class ReferenceDeliveryStatisticsConformanceTests : DeliveryStatisticsConformanceTests
{
    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(new ReferenceDeliveryStore());
}

public sealed class ReferenceDeliveryRetentionConformanceTests : DeliveryRetentionConformanceTests
{
    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() => Task.FromResult<IWebhookDeliveryStore>(new ReferenceDeliveryStore());
}
