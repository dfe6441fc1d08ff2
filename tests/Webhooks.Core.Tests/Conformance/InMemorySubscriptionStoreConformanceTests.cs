using Webhooks.Core.Subscriptions;
using Webhooks.Testing;

namespace Webhooks.Core.Tests.Conformance;

/// <summary>The in-memory subscription store keeps the same contract as any durable store.</summary>
public sealed class InMemorySubscriptionStoreConformanceTests : SubscriptionStoreConformanceTests
{
    protected override Task<IWebhookSubscriptionStore> CreateStoreAsync() =>
        Task.FromResult<IWebhookSubscriptionStore>(new InMemoryWebhookSubscriptionStore());
}
