using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Interop;

/// <summary>Deliveries checked by receivers nobody here wrote: the npm standardwebhooks and svix libraries.</summary>
public sealed class ThirdPartyVerifierTests
{
    [Fact]
    public async Task Delivery_VerifiesWithStandardWebhooksAndSvixLibraries()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await DeliveryTestsSubscribe(host, receiver.Url());

        await host.Publisher.PublishAsync("order.created", new { id = 1, note = "ünïcode ✓ \"quoted\"" });

        var request = (await receiver.WaitForAsync(1))[0];
        var (standard, svix) = await NodeVerifiers.VerifyAsync(sub.Secret, request);
        standard.Should().Be("ok");
        svix.Should().Be("ok");
    }

    [Fact]
    public async Task DeliveryDuringRotation_VerifiesWithEitherSecret()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await DeliveryTestsSubscribe(host, receiver.Url());
        var rotated = await host.Subscriptions.RotateSecretAsync(null, sub.Subscription.Id);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var request = (await receiver.WaitForAsync(1))[0];
        (await NodeVerifiers.VerifyAsync(sub.Secret, request)).Should().Be(("ok", "ok"));
        (await NodeVerifiers.VerifyAsync(rotated!.Secret, request)).Should().Be(("ok", "ok"));
    }

    [Fact]
    public async Task TamperedDelivery_IsRejectedByBothLibraries()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await DeliveryTestsSubscribe(host, receiver.Url());

        await host.Publisher.PublishAsync("order.created", new { amount = 1 });

        var request = (await receiver.WaitForAsync(1))[0];
        var tampered = System.Text.Encoding.UTF8.GetBytes(request.BodyText.Replace("\"amount\":1", "\"amount\":9", StringComparison.Ordinal));
        var (standard, svix) = await NodeVerifiers.VerifyAsync(sub.Secret, request, tampered);
        standard.Should().NotBe("ok");
        svix.Should().NotBe("ok");
    }

    private static Task<Core.Subscriptions.WebhookSubscriptionWithSecret> DeliveryTestsSubscribe(WebhookHost host, string url)
        => Delivery.DeliveryTests.Subscribe(host, url, ["order.created"]);
}
