using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Delivery;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Security;

/// <summary>What a receiver relies on: the verifier rejects anything not signed now, by the sender, over these bytes.</summary>
public sealed class WebhookVerifierSecurityTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string OldSecret = WebhookSecret.Generate();
    private static readonly string NewSecret = WebhookSecret.Generate();
    private static readonly byte[] Body = """{"type":"order.created","timestamp":"2025-06-01T12:00:00Z","data":{"id":42,"total":9.5}}"""u8.ToArray();
    private const string Id = "msg_2xYqT0vQ9aWm3bLp";

    [Fact]
    public void Verify_Untouched_Succeeds()
    {
        var (ts, sig) = Sign(Now, Body, NewSecret);

        Verifier(NewSecret).Verify(Id, ts, sig, Body).IsValid.Should().BeTrue();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(-1)]
    public void Verify_BodyTamperedByOneBit_Fails(int position)
    {
        var (ts, sig) = Sign(Now, Body, NewSecret);
        var tampered = Body.ToArray();
        tampered[position < 0 ? tampered.Length - 1 : position] ^= 0x01;

        var result = Verifier(NewSecret).Verify(Id, ts, sig, tampered);

        result.Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
    }

    [Fact]
    public void Verify_BodyWithExtraWhitespaceOrReserialized_Fails()
    {
        var (ts, sig) = Sign(Now, Body, NewSecret);

        Verifier(NewSecret).Verify(Id, ts, sig, [.. Body, (byte)'\n']).IsValid.Should().BeFalse("the exact bytes are signed");
        Verifier(NewSecret).Verify(Id, ts, sig, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace(":", ": ", StringComparison.Ordinal))).IsValid.Should().BeFalse();
    }

    [Fact]
    public void Verify_IdOrTimestampSwapped_Fails()
    {
        var (ts, sig) = Sign(Now, Body, NewSecret);

        Verifier(NewSecret).Verify("msg_other", ts, sig, Body).Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
        Verifier(NewSecret).Verify(Id, (long.Parse(ts, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture), sig, Body)
            .Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
    }

    [Fact]
    public void Verify_WrongSecret_Fails()
    {
        var (ts, sig) = Sign(Now, Body, NewSecret);

        Verifier(WebhookSecret.Generate()).Verify(Id, ts, sig, Body).Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
    }

    [Theory]
    [InlineData(-301, WebhookVerificationFailure.TimestampTooOld)]
    [InlineData(-3600, WebhookVerificationFailure.TimestampTooOld)]
    [InlineData(-86400 * 365, WebhookVerificationFailure.TimestampTooOld)]
    [InlineData(301, WebhookVerificationFailure.TimestampTooNew)]
    [InlineData(86400, WebhookVerificationFailure.TimestampTooNew)]
    [InlineData(-300, WebhookVerificationFailure.None)]
    [InlineData(300, WebhookVerificationFailure.None)]
    public void Verify_TimestampOutsideTolerance_FailsEvenWithValidSignature(int offsetSeconds, WebhookVerificationFailure expected)
    {
        // Correctly signed at the skewed time: only the clock check can reject it (a replayed or pre-made message).
        var (ts, sig) = Sign(Now.AddSeconds(offsetSeconds), Body, NewSecret);

        Verifier(NewSecret).Verify(Id, ts, sig, Body).Failure.Should().Be(expected);
    }

    [Fact]
    public void Verify_CustomTolerance_IsHonoured()
    {
        var (ts, sig) = Sign(Now.AddSeconds(-90), Body, NewSecret);

        new WebhookVerifier(new FakeTimeProvider(Now), NewSecret) { Tolerance = TimeSpan.FromMinutes(1) }.Verify(Id, ts, sig, Body)
            .Failure.Should().Be(WebhookVerificationFailure.TimestampTooOld);
    }

    [Fact]
    public void Verify_DuringRotation_SignatureWithBothSecrets_VerifiesWithEitherAlone()
    {
        var (ts, sig) = Sign(Now, Body, NewSecret, OldSecret);

        sig.Split(' ').Should().HaveCount(2);
        Verifier(OldSecret).Verify(Id, ts, sig, Body).IsValid.Should().BeTrue("a receiver that has not switched yet");
        Verifier(NewSecret).Verify(Id, ts, sig, Body).IsValid.Should().BeTrue("a receiver that already switched");
        Verifier(NewSecret, OldSecret).Verify(Id, ts, sig, Body).IsValid.Should().BeTrue();
        Verifier(WebhookSecret.Generate()).Verify(Id, ts, sig, Body).IsValid.Should().BeFalse();
    }

    [Fact]
    public void Verify_ReceiverHoldingBothSecrets_AcceptsSignatureMadeWithEither()
    {
        var (ts1, oldOnly) = Sign(Now, Body, OldSecret);
        var (ts2, newOnly) = Sign(Now, Body, NewSecret);

        Verifier(NewSecret, OldSecret).Verify(Id, ts1, oldOnly, Body).IsValid.Should().BeTrue();
        Verifier(NewSecret, OldSecret).Verify(Id, ts2, newOnly, Body).IsValid.Should().BeTrue();
    }

    [Theory]
    [InlineData("v1,")]
    [InlineData("v1,AAAA")]
    [InlineData("v1a,AAAA")]
    [InlineData("v2,AAAA")]
    [InlineData("sha256=abcd")]
    public void Verify_ForgedOrTruncatedSignature_Fails(string signature)
    {
        var (ts, _) = Sign(Now, Body, NewSecret);

        Verifier(NewSecret).Verify(Id, ts, signature, Body).IsValid.Should().BeFalse();
    }

    [Fact]
    public void Verify_ForgedSignaturePrependedToValidOne_StillVerifiesOnlyTheValidOne()
    {
        var (ts, sig) = Sign(Now, Body, NewSecret);
        var forged = "v1," + Convert.ToBase64String(new byte[32]);

        Verifier(NewSecret).Verify(Id, ts, forged + " " + sig, Body).IsValid.Should().BeTrue();
        Verifier(NewSecret).Verify(Id, ts, forged, Body).IsValid.Should().BeFalse();
    }

    [Fact]
    public async Task Delivery_AfterRotation_ArrivesSignedWithBothSecrets_AndEachVerifies()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var created = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        var rotated = await host.Subscriptions.RotateSecretAsync(null, created.Subscription.Id);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var r = (await receiver.WaitForAsync(1))[0];
        new WebhookVerifier(created.Secret).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), r.Body).IsValid.Should().BeTrue();
        new WebhookVerifier(rotated!.Secret).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), r.Body).IsValid.Should().BeTrue();
        var tampered = r.Body.ToArray();
        tampered[^2] ^= 0x20;
        new WebhookVerifier(rotated.Secret).Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), tampered).IsValid.Should().BeFalse();
    }

    private static WebhookVerifier Verifier(params string[] secrets) => new(new FakeTimeProvider(Now), secrets);

    private static (string Timestamp, string Signature) Sign(DateTimeOffset at, byte[] body, params string[] secrets)
    {
        using var request = new HttpRequestMessage();
        new StandardWebhooksSigner().Sign(new WebhookSigningContext(Id, at, body, secrets), request.Headers);
        return (at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), request.Headers.GetValues(WebhookHeaders.Signature).Single());
    }
}
