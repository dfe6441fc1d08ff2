using Webhooks.Core.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.Core;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Signing.Ed25519.Tests;

/// <summary>ed25519 deliveries end to end: a real receiver that holds only public keys.</summary>
public sealed class Ed25519WebhookSignerTests
{
    [Fact]
    public async Task Deliver_Ed25519Subscription_ReceiverVerifiesWithPublicKeyOnly()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created").AddEd25519Signing());
        var created = await Subscribe(host, receiver.Url(), Ed25519WebhookSignatures.Scheme);
        var publicKeys = await host.Services.GetRequiredService<Ed25519WebhookPublicKeys>().GetAsync(null, created.Subscription.Id);

        await host.Publisher.PublishAsync("order.created", new { id = 42 });

        var r = (await receiver.WaitForAsync(1))[0];
        var signature = r.Header("webhook-signature")!;
        signature.Should().StartWith("v1a,").And.NotContain("v1,", "no HMAC signature a shared secret could check");
        publicKeys.Should().ContainSingle().Which.Should().Be(Ed25519WebhookKeys.GetPublicKey(created.Secret));
        var verified = new Ed25519WebhookVerifier(publicKeys!.ToArray()).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), signature, r.Body);
        verified.IsValid.Should().BeTrue(verified.Message);
        new WebhookVerifier(created.Secret).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), signature, r.Body).IsValid.Should().BeFalse();
    }

    [Fact]
    public async Task Deliver_AfterRotation_CarriesTwoSignatures_EachPublicKeyVerifies()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created").AddEd25519Signing());
        var created = await Subscribe(host, receiver.Url(), Ed25519WebhookSignatures.Scheme);
        var keys = host.Services.GetRequiredService<Ed25519WebhookPublicKeys>();
        var before = (await keys.GetAsync(null, created.Subscription.Id))!.Single();
        await host.Subscriptions.RotateSecretAsync(null, created.Subscription.Id);
        var after = (await keys.GetAsync(null, created.Subscription.Id))!;

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var r = (await receiver.WaitForAsync(1))[0];
        after.Should().HaveCount(2).And.HaveElementAt(1, before);
        r.Header("webhook-signature")!.Split(' ').Should().HaveCount(2).And.OnlyContain(s => s.StartsWith("v1a,"));
        foreach (var key in after)
        {
            new Ed25519WebhookVerifier(key).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), r.Body)
                .IsValid.Should().BeTrue($"a receiver holding only {key} must accept it during the grace period");
        }
    }

    [Fact]
    public async Task Deliver_TamperedInTransit_FailsVerification()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created").AddEd25519Signing());
        var created = await Subscribe(host, receiver.Url(), Ed25519WebhookSignatures.Scheme);

        await host.Publisher.PublishAsync("order.created", new { id = 1, total = 10 });

        var r = (await receiver.WaitForAsync(1))[0];
        var tampered = System.Text.Encoding.UTF8.GetBytes(r.BodyText.Replace("10", "99", StringComparison.Ordinal));
        new Ed25519WebhookVerifier(Ed25519WebhookKeys.GetPublicKey(created.Secret)).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), tampered)
            .Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
    }

    [Fact]
    public async Task AddEd25519Signing_AsDefault_SignsSubscriptionsThatNameNoScheme()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created").AddEd25519Signing(useAsDefault: true).AddEd25519Signing());
        var created = await Subscribe(host, receiver.Url(), scheme: null);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var r = (await receiver.WaitForAsync(1))[0];
        host.Services.GetRequiredService<IOptions<WebhookOptions>>().Value.DefaultSignatureScheme.Should().Be(Ed25519WebhookSignatures.Scheme);
        host.Services.GetServices<IWebhookSigner>().Count(s => s.Scheme == Ed25519WebhookSignatures.Scheme).Should().Be(1, "registering twice is harmless");
        new Ed25519WebhookVerifier(Ed25519WebhookKeys.GetPublicKey(created.Secret)).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), r.Body)
            .IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task Subscribe_Ed25519WithoutRegistering_IsAValidationError()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), start: false);

        var act = () => Subscribe(host, "https://public.example/h", Ed25519WebhookSignatures.Scheme);

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors.Should().ContainKey("signatureScheme");
    }

    [Fact]
    public async Task PublicKeys_OtherOwnerOrOtherScheme_AreNotShown()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created").AddEd25519Signing(), start: false);
        var ed = await host.Subscriptions.CreateAsync("tenant-a", new WebhookSubscriptionDefinition { Name = "ed", Url = "https://public.example/h", Events = ["order.created"], SignatureScheme = Ed25519WebhookSignatures.Scheme });
        var hmac = await host.Subscriptions.CreateAsync("tenant-a", new WebhookSubscriptionDefinition { Name = "hmac", Url = "https://public.example/h", Events = ["order.created"] });
        var keys = host.Services.GetRequiredService<Ed25519WebhookPublicKeys>();

        (await keys.GetAsync("tenant-a", ed.Subscription.Id)).Should().ContainSingle();
        (await keys.GetAsync("tenant-b", ed.Subscription.Id)).Should().BeNull();
        (await keys.GetAsync("tenant-a", "sub_missing")).Should().BeNull();
        (await keys.GetAsync("tenant-a", hmac.Subscription.Id)).Should().BeEmpty();
    }

    [Fact]
    public async Task SendTest_UnsavedTargetWithEd25519_IsSignedWithThrowawayKey()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created").AddEd25519Signing());
        var secret = WebhookSecret.Generate();

        var attempt = await host.TestSender.SendAsync(new WebhookTestTarget { Url = receiver.Url(), Secret = secret, SignatureScheme = Ed25519WebhookSignatures.Scheme });

        attempt.Succeeded.Should().BeTrue(attempt.Error);
        var r = (await receiver.WaitForAsync(1))[0];
        new Ed25519WebhookVerifier(Ed25519WebhookKeys.GetPublicKey(secret)).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), r.Body)
            .IsValid.Should().BeTrue();
    }

    private static Task<WebhookSubscriptionWithSecret> Subscribe(WebhookHost host, string url, string? scheme)
        => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "s-" + Guid.NewGuid().ToString("N")[..8], Url = url, Events = ["order.created"], SignatureScheme = scheme });
}
