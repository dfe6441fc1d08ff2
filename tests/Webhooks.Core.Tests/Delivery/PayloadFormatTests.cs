using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

public sealed class PayloadFormatTests
{
    [Fact]
    public async Task Publish_DataFormat_BodyIsTheDataAloneAndSignatureCoversIt()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("task.created"),
            o => { o.PayloadFormat = WebhookPayloadFormat.Data; o.EventTypeHeader = "X-Webhook-Action"; });
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["task.created"]);

        await host.Publisher.PublishAsync("task.created", new { entity = "task", id = 7 });

        var request = (await receiver.WaitForAsync(1))[0];
        request.BodyText.Should().Be("""{"entity":"task","id":7}""");
        request.Header("X-Webhook-Action").Should().Be("task.created");
        var verified = new WebhookVerifier(sub.Secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
        verified.IsValid.Should().BeTrue(verified.Message);
    }

    [Fact]
    public async Task SendTest_DataFormat_SendsTheTestDataWithoutEnvelope()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("task.created"), o => o.PayloadFormat = WebhookPayloadFormat.Data);

        var attempt = await host.TestSender.SendAsync(new WebhookTestTarget { Url = receiver.Url() });

        attempt.Succeeded.Should().BeTrue();
        using var doc = JsonDocument.Parse((await receiver.WaitForAsync(1))[0].Body);
        doc.RootElement.TryGetProperty("type", out _).Should().BeFalse();
        doc.RootElement.TryGetProperty("data", out _).Should().BeFalse();
        doc.RootElement.EnumerateObject().Should().NotBeEmpty();
    }

    [Fact]
    public async Task Publish_DefaultFormat_IsTheEnvelope()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("task.created"));
        await DeliveryTests.Subscribe(host, receiver.Url(), ["task.created"]);

        await host.Publisher.PublishAsync("task.created", new { entity = "task", id = 7 });

        using var doc = JsonDocument.Parse((await receiver.WaitForAsync(1))[0].Body);
        doc.RootElement.GetProperty("type").GetString().Should().Be("task.created");
        doc.RootElement.GetProperty("data").GetProperty("id").GetInt32().Should().Be(7);
    }
}
