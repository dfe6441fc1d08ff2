using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Webhooks.Samples.Aot;

/// <summary>
/// A deliberately tiny authentication scheme: the <c>X-Api-Key</c> header must hold the one key
/// the sample knows, and the caller is then the owner <see cref="Owner"/> (its id claim is what
/// the default owner resolver of <c>MapWebhooks()</c> reads). Real apps use JWT, cookies or their own keys.
/// </summary>
public sealed class HeaderAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string Owner = "tenant-aot";

    /// <summary>The sample's one key, made at start (a real app keeps its keys in a store).</summary>
    public static readonly string Key = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? given = Request.Headers[HeaderName];
        if (string.IsNullOrEmpty(given))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(Key)))
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, Owner)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
