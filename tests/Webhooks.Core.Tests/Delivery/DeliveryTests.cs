using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

public sealed class DeliveryTests
{
    [Fact]
    public async Task Publish_ToSubscribedReceiver_DeliversSignedEnvelopeThatVerifies()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created", "An order was placed."));
        var created = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "orders",
            Url = receiver.Url(),
            Events = ["order.created"],
        });

        var result = await host.Publisher.PublishAsync("order.created", new { id = 42, total = 9.5 });

        result.DeliveryCount.Should().Be(1);
        var request = (await receiver.WaitForAsync(1))[0];
        request.Method.Should().Be("POST");
        request.Header("content-type").Should().Be("application/json; charset=utf-8");
        request.Header("webhook-id").Should().Be(result.MessageId);
        var verified = new WebhookVerifier(created.Secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
        verified.IsValid.Should().BeTrue(verified.Message);
        using var doc = JsonDocument.Parse(request.Body);
        doc.RootElement.GetProperty("type").GetString().Should().Be("order.created");
        doc.RootElement.GetProperty("data").GetProperty("id").GetInt32().Should().Be(42);
        doc.RootElement.GetProperty("timestamp").GetDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }
}
