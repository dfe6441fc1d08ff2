using Microsoft.Extensions.Options;
using Webhooks.Core.Delivery;
using Webhooks.Testing;

namespace Webhooks.Core.Tests.Conformance;

/// <summary>The in-memory delivery store keeps the same contract as any durable store.</summary>
public sealed class InMemoryDeliveryStoreConformanceTests : DeliveryStoreConformanceTests
{
    protected override Task<IWebhookDeliveryStore> CreateStoreAsync() =>
        Task.FromResult<IWebhookDeliveryStore>(new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions())));
}
