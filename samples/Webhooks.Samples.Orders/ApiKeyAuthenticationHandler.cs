using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Webhooks.Samples.Orders;

/// <summary>
/// Authenticates callers by the <c>X-Api-Key</c> header. Keys come from configuration section
/// <c>Sample:ApiKeys</c> (key → owner id), roles from <c>Sample:Roles</c> (owner id → comma-separated
/// roles); both are read per request, so keys added to configuration work at once.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IConfiguration configuration)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var owner = FindOwner(values[0]!);
        if (owner is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, owner), new(ClaimTypes.Name, owner) };
        var roles = configuration.GetSection("Sample:Roles").GetChildren()
            .FirstOrDefault(c => string.Equals(c.Key, owner, StringComparison.Ordinal))?.Value;
        foreach (var role in (roles ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            claims.Add(new Claim(ClaimTypes.Role, role));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\"";
        return Task.CompletedTask;
    }

    /// <summary>Compares the given key with every configured one in constant time (configuration keys are case-insensitive; API keys are not).</summary>
    private string? FindOwner(string key)
    {
        var given = Encoding.UTF8.GetBytes(key);
        string? owner = null;
        foreach (var entry in configuration.GetSection("Sample:ApiKeys").GetChildren())
        {
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(entry.Key)) && !string.IsNullOrWhiteSpace(entry.Value))
            {
                owner = entry.Value;
            }
        }

        return owner;
    }
}
