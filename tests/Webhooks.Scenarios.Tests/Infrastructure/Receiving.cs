using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Webhooks.Core.Signing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Scenarios.Tests.Infrastructure;

/// <summary>What a receiver does with a request: check its signature, read its JSON.</summary>
public static class Receiving
{
    /// <summary>Asserts the Standard Webhooks signature verifies with <paramref name="secret"/>.</summary>
    public static ReceivedRequest ShouldBeSignedWith(this ReceivedRequest request, string secret)
    {
        var result = new WebhookVerifier(secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
        result.IsValid.Should().BeTrue(result.Message);
        return request;
    }

    /// <summary>The body as JSON.</summary>
    public static JsonNode Json(this ReceivedRequest request) => JsonNode.Parse(request.Body)!;

    /// <summary>The hex HMAC-SHA256 of the raw body keyed by the secret, as a receiver computes it on its own.</summary>
    public static string HmacSha256Hex(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
