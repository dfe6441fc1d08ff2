using System.Text;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Signing.Ed25519.Tests;

public sealed class Ed25519WebhookSignaturesTests
{
    // Known answer from the Svix libraries' test_asymmetric_key_signing.
    private const string SvixSecretKey = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
    private const string SvixPublicKey = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
    private const string SvixId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SvixTimestamp = 1614265330;
    private const string SvixBody = "{\"test\": 2432232314}";
    private const string SvixSignature = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";

    private static readonly FakeTimeProvider AtSvixTime = new(DateTimeOffset.FromUnixTimeSeconds(SvixTimestamp));

    [Fact]
    public void Sign_KnownKey_ProducesKnownSignature()
    {
        Ed25519WebhookSignatures.Sign(SvixSecretKey, SvixId, SvixTimestamp, Encoding.UTF8.GetBytes(SvixBody)).Should().Be(SvixSignature);
    }

    [Fact]
    public void Sign_SeedOnlyFormOfKnownKey_ProducesSameSignature()
    {
        var seedOnly = "whsk_" + Convert.ToBase64String(Convert.FromBase64String(SvixSecretKey[5..])[..32]);

        Ed25519WebhookSignatures.Sign(seedOnly, SvixId, SvixTimestamp, Encoding.UTF8.GetBytes(SvixBody)).Should().Be(SvixSignature);
    }

    [Fact]
    public void GetPublicKey_KnownSecretKey_IsKnownPublicKey()
    {
        Ed25519WebhookKeys.GetPublicKey(SvixSecretKey).Should().Be(SvixPublicKey);
    }

    [Fact]
    public void Verify_KnownSignature_Succeeds()
    {
        var result = new Ed25519WebhookVerifier(AtSvixTime, SvixPublicKey).Verify(SvixId, SvixTimestamp.ToString(), SvixSignature, Encoding.UTF8.GetBytes(SvixBody));

        result.IsValid.Should().BeTrue(result.Message);
    }

    [Theory]
    [InlineData(SvixId, "{\"test\": 2432232315}", WebhookVerificationFailure.NoMatchingSignature)]
    [InlineData("msg_other", SvixBody, WebhookVerificationFailure.NoMatchingSignature)]
    public void Verify_KnownSignatureOverChangedContent_Fails(string id, string body, WebhookVerificationFailure failure)
    {
        new Ed25519WebhookVerifier(AtSvixTime, SvixPublicKey).Verify(id, SvixTimestamp.ToString(), SvixSignature, Encoding.UTF8.GetBytes(body)).Failure.Should().Be(failure);
    }

    [Fact]
    public void Verify_OtherPublicKey_Fails()
    {
        new Ed25519WebhookVerifier(AtSvixTime, Ed25519WebhookKeys.Generate().PublicKey)
            .Verify(SvixId, SvixTimestamp.ToString(), SvixSignature, Encoding.UTF8.GetBytes(SvixBody)).Failure.Should().Be(WebhookVerificationFailure.NoMatchingSignature);
    }

    [Theory]
    [InlineData(-301, WebhookVerificationFailure.TimestampTooOld)]
    [InlineData(301, WebhookVerificationFailure.TimestampTooNew)]
    [InlineData(0, WebhookVerificationFailure.None)]
    public void Verify_TimestampWindow_IsEnforced(int skewSeconds, WebhookVerificationFailure expected)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(SvixTimestamp - skewSeconds));

        new Ed25519WebhookVerifier(clock, SvixPublicKey).Verify(SvixId, SvixTimestamp.ToString(), SvixSignature, Encoding.UTF8.GetBytes(SvixBody)).Failure.Should().Be(expected);
    }

    [Theory]
    [InlineData("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", WebhookVerificationFailure.MalformedSignature)]
    [InlineData("v1a,AAAA", WebhookVerificationFailure.NoMatchingSignature)]
    [InlineData("v1a," + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", WebhookVerificationFailure.NoMatchingSignature)]
    public void Verify_HmacOrForgedSignature_Fails(string signature, WebhookVerificationFailure failure)
    {
        new Ed25519WebhookVerifier(AtSvixTime, SvixPublicKey).Verify(SvixId, SvixTimestamp.ToString(), signature, Encoding.UTF8.GetBytes(SvixBody)).Failure.Should().Be(failure);
    }

    [Fact]
    public void Verify_ForgedEntryBesideValidOne_StillVerifies()
    {
        new Ed25519WebhookVerifier(AtSvixTime, SvixPublicKey)
            .Verify(SvixId, SvixTimestamp.ToString(), "v1a," + Convert.ToBase64String(new byte[64]) + " " + SvixSignature, Encoding.UTF8.GetBytes(SvixBody)).IsValid.Should().BeTrue();
    }

    [Fact]
    public void Generate_NewPair_SignsAndVerifies_AndIsUnique()
    {
        var a = Ed25519WebhookKeys.Generate();
        var b = Ed25519WebhookKeys.Generate();
        var body = "{\"a\":1}"u8.ToArray();

        var signature = Ed25519WebhookSignatures.Sign(a.SecretKey, "msg_1", SvixTimestamp, body);

        a.SecretKey.Should().StartWith("whsk_").And.NotBe(b.SecretKey);
        Convert.FromBase64String(a.SecretKey[5..]).Should().HaveCount(64);
        Ed25519WebhookKeys.GetPublicKey(a.SecretKey).Should().Be(a.PublicKey);
        a.ToString().Should().NotContain(a.SecretKey[5..]);
        new Ed25519WebhookVerifier(AtSvixTime, a.PublicKey).Verify("msg_1", SvixTimestamp.ToString(), signature, body).IsValid.Should().BeTrue();
        new Ed25519WebhookVerifier(AtSvixTime, b.PublicKey).Verify("msg_1", SvixTimestamp.ToString(), signature, body).IsValid.Should().BeFalse();
    }

    [Fact]
    public void DerivedKeys_FromSubscriptionSecret_AreStableAndDistinct()
    {
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var other = WebhookSecret.Generate();

        var publicKey = Ed25519WebhookKeys.GetPublicKey(secret);
        var derived = Ed25519WebhookKeys.DeriveSecretKey(secret);

        // Pinned: receivers hold this public key, so the derivation must never change.
        publicKey.Should().Be(PinnedDerivedPublicKey);
        Ed25519WebhookKeys.GetPublicKey(derived).Should().Be(publicKey);
        Ed25519WebhookKeys.GetPublicKey(other).Should().NotBe(publicKey);
        Ed25519WebhookSignatures.Sign(secret, SvixId, SvixTimestamp, "{}"u8).Should().Be(Ed25519WebhookSignatures.Sign(derived, SvixId, SvixTimestamp, "{}"u8));
    }

    [Theory]
    [InlineData("whsk_AAAA")]
    [InlineData("whsk_not base64")]
    [InlineData("sk_" + "6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbc=")]
    [InlineData("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=")]
    public void Sign_MalformedKey_ThrowsArgumentException(string key)
    {
        var act = () => Ed25519WebhookSignatures.Sign(key, SvixId, SvixTimestamp, "{}"u8);

        act.Should().Throw<ArgumentException>().Which.Message.Should().NotContain(key.Length > 8 ? key[5..] : "\0");
    }

    [Fact]
    public void Sign_SecretKeyWhosePublicHalfDoesNotMatch_IsRejectedAsCorrupt()
    {
        var bytes = Convert.FromBase64String(SvixSecretKey[5..]);
        bytes[40] ^= 1;

        var act = () => Ed25519WebhookSignatures.Sign("whsk_" + Convert.ToBase64String(bytes), SvixId, SvixTimestamp, "{}"u8);

        act.Should().Throw<ArgumentException>().WithMessage("*corrupt*");
    }

    [Theory]
    [InlineData("whpk_AAAA")]
    [InlineData("1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=")]
    public void Verifier_MalformedPublicKey_IsRejectedAtConstruction(string key)
    {
        var act = () => new Ed25519WebhookVerifier(key);

        act.Should().Throw<ArgumentException>().WithMessage("*whpk_*");
    }

    // Computed independently (Python: RFC 5869 HKDF-SHA256 by hand, empty salt, info "Webhooks.Signing.Ed25519/v1a-seed/1",
    // then the 'cryptography' package's Ed25519 public key), so it checks the derivation, not just its stability.
    private const string PinnedDerivedPublicKey = "whpk_f5WJ7ZAPGcEtry3LEZYYov0lVzwx+32poQf9q9WhZJU=";
}
