using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Signing;

namespace Webhooks.Core.Tests.Signing;

public sealed class SigningTests
{
    // Known-answer vectors from the Standard Webhooks reference libraries' tests.
    [Theory]
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, "{\"test\": 2432232314}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553L, "{\"email\":\"test@example.com\",\"username\":\"test_user\"}", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")]
    public void StandardSigner_KnownVectors_ProduceExpectedSignature(string secret, string id, long timestamp, string body, string expected)
    {
        var headers = Sign(new StandardWebhooksSigner(), secret, id, timestamp, body);

        headers.GetValues(WebhookHeaders.Signature).Single().Should().Be(expected);
    }

    [Theory]
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, "{\"test\": 2432232314}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553L, "{\"email\":\"test@example.com\",\"username\":\"test_user\"}", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")]
    public void Verifier_KnownVectors_Verify(string secret, string id, long timestamp, string body, string signature)
    {
        var verifier = new WebhookVerifier(At(timestamp), secret);

        var result = verifier.Verify(id, timestamp.ToString(), signature, Encoding.UTF8.GetBytes(body));

        result.IsValid.Should().BeTrue(result.Message);
    }

    [Fact]
    public void Verifier_TruncatedKnownSignature_DoesNotVerify()
    {
        var verifier = new WebhookVerifier(At(1614265330), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

        var result = verifier.Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLawdd", "{\"test\": 2432232314}"u8);

        result.IsValid.Should().BeFalse();
        result.Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
    }

    [Theory]
    [InlineData(null, "1614265330", "v1,x", WebhookVerificationFailure.MissingHeaders)]
    [InlineData("msg_1", null, "v1,x", WebhookVerificationFailure.MissingHeaders)]
    [InlineData("msg_1", "1614265330", "", WebhookVerificationFailure.MissingHeaders)]
    [InlineData("msg_1", "abc", "v1,x", WebhookVerificationFailure.InvalidTimestamp)]
    [InlineData("msg_1", "-5", "v1,x", WebhookVerificationFailure.InvalidTimestamp)]
    [InlineData("msg_1", "1614264000", "v1,x", WebhookVerificationFailure.TimestampTooOld)]
    [InlineData("msg_1", "1614266000", "v1,x", WebhookVerificationFailure.TimestampTooNew)]
    [InlineData("msg_1", "1614265330", "v2,abc", WebhookVerificationFailure.MalformedSignature)]
    [InlineData("msg_1", "1614265330", "v1,notbase64!!", WebhookVerificationFailure.NoMatchingSignature)]
    public void Verifier_BadHeaders_FailWithReason(string? id, string? timestamp, string? signature, WebhookVerificationFailure expected)
    {
        var verifier = new WebhookVerifier(At(1614265330), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

        var result = verifier.Verify(id, timestamp, signature, "{}"u8);

        result.Failure.Should().Be(expected);
        result.Message.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void StandardSigner_TwoSecrets_SignsWithBothAndEitherVerifies()
    {
        var oldSecret = WebhookSecret.Generate();
        var newSecret = WebhookSecret.Generate();
        var headers = Sign(new StandardWebhooksSigner(), [newSecret, oldSecret], "msg_1", 1700000000, "{\"a\":1}");
        var signature = headers.GetValues(WebhookHeaders.Signature).Single();

        signature.Split(' ').Should().HaveCount(2).And.OnlyContain(s => s.StartsWith("v1,"));
        new WebhookVerifier(At(1700000000), oldSecret).Verify("msg_1", "1700000000", signature, "{\"a\":1}"u8).IsValid.Should().BeTrue();
        new WebhookVerifier(At(1700000000), newSecret).Verify("msg_1", "1700000000", signature, "{\"a\":1}"u8).IsValid.Should().BeTrue();
        new WebhookVerifier(At(1700000000), WebhookSecret.Generate()).Verify("msg_1", "1700000000", signature, "{\"a\":1}"u8).IsValid.Should().BeFalse();
    }

    [Fact]
    public void Verifier_TamperedBody_Fails()
    {
        var secret = WebhookSecret.Generate();
        var signature = Sign(new StandardWebhooksSigner(), secret, "msg_1", 1700000000, "{\"amount\":1}").GetValues(WebhookHeaders.Signature).Single();

        new WebhookVerifier(At(1700000000), secret).Verify("msg_1", "1700000000", signature, "{\"amount\":9}"u8).IsValid.Should().BeFalse();
        new WebhookVerifier(At(1700000000), secret).Verify("msg_2", "1700000000", signature, "{\"amount\":1}"u8).IsValid.Should().BeFalse();
    }

    [Fact]
    public void HmacHexSigner_SignsBodyWithSecretBytes_AndVerifierAccepts()
    {
        var options = Options.Create(new WebhookOptions { HmacSignatureHeader = "X-Webhook-Signature" });
        var secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var headers = Sign(new HmacSha256HexSigner(options), secret, "msg_1", 1700000000, "{\"entity\":\"task\",\"id\":1}");
        var value = headers.GetValues("X-Webhook-Signature").Single();

        // Independent computation: HMAC-SHA256 keyed by the secret string's UTF-8 bytes, over the raw body.
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes("{\"entity\":\"task\",\"id\":1}")));
        value.Should().Be("sha256=" + expected);
        new WebhookVerifier(secret).VerifyHmacSha256Hex(value, "{\"entity\":\"task\",\"id\":1}"u8).IsValid.Should().BeTrue();
        new WebhookVerifier(secret).VerifyHmacSha256Hex(value, "{\"entity\":\"task\",\"id\":2}"u8).Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
        new WebhookVerifier(secret).VerifyHmacSha256Hex("md5=abc", "{}"u8).Failure.Should().Be(WebhookVerificationFailure.MalformedSignature);
    }

    [Fact]
    public void Verifier_SecretNotBase64_IsRejectedAtConstruction()
    {
        var act = () => new WebhookVerifier("whsec_***not base64***");

        act.Should().Throw<ArgumentException>().WithMessage("*whsec_*base64*");
    }

    private static FakeTimeProvider At(long unixSeconds) => new(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));

    private static HttpRequestHeaders Sign(IWebhookSigner signer, string secret, string id, long timestamp, string body)
        => Sign(signer, [secret], id, timestamp, body);

    private static HttpRequestHeaders Sign(IWebhookSigner signer, string[] secrets, string id, long timestamp, string body)
    {
        using var request = new HttpRequestMessage();
        signer.Sign(new WebhookSigningContext(id, DateTimeOffset.FromUnixTimeSeconds(timestamp), Encoding.UTF8.GetBytes(body), secrets), request.Headers);
        return request.Headers;
    }
}
