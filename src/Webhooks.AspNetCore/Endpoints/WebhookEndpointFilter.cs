using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Owners;
using Webhooks.Core;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>Shows <c>MapWebhooks()</c> that <c>AddEndpoints()</c> was called.</summary>
internal sealed class WebhookEndpointsMarker;

/// <summary>Marks an endpoint that does not act on an owner's data (the event catalog), so no owner is resolved.</summary>
internal sealed class WebhookOwnerNotRequiredMetadata
{
    public static readonly WebhookOwnerNotRequiredMetadata Instance = new();
}

/// <summary>
/// Runs around every management endpoint: refuses cross-origin browser posts sent with cookies alone
/// (<see cref="WebhookCrossOriginCheck"/>), resolves the caller's owner (403 when there is none)
/// and turns the core's typed exceptions into ProblemDetails: validation 400, conflict 409,
/// stale version 412. Handlers stay a thin layer over the engine's managers.
/// </summary>
internal sealed class WebhookEndpointFilter : IEndpointFilter
{
    private const string OwnerKey = "Webhooks.AspNetCore.Owner";

    public static string GetOwner(HttpContext context) =>
        context.Items.TryGetValue(OwnerKey, out var owner) && owner is string s
            ? s
            : throw new InvalidOperationException("The webhook owner was not resolved; the endpoint must run behind WebhookEndpointFilter.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var options = http.RequestServices.GetRequiredService<IOptions<WebhookEndpointOptions>>().Value;
        if (WebhookCrossOriginCheck.Refusal(http.Request, options.TrustedOrigins) is { } refusal)
        {
            return WebhookProblems.Problem(StatusCodes.Status403Forbidden, "Cross-origin request refused.", refusal);
        }

        try
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<WebhookOwnerNotRequiredMetadata>() is null)
            {
                var resolver = http.RequestServices.GetRequiredService<IWebhookOwnerResolver>();
                var owner = await resolver.ResolveOwnerAsync(http, http.RequestAborted).ConfigureAwait(false);
                if (string.IsNullOrEmpty(owner))
                {
                    return WebhookProblems.Problem(
                        StatusCodes.Status403Forbidden,
                        "Forbidden.",
                        "The caller has no owner id to manage webhooks for (IWebhookOwnerResolver returned none).");
                }

                http.Items[OwnerKey] = owner;
            }

            return await next(context).ConfigureAwait(false);
        }
        catch (WebhookEndpointProblemException ex)
        {
            return ex.Result;
        }
        catch (WebhookValidationException ex)
        {
            return WebhookProblems.Validation(ex.Errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
        }
        catch (WebhookConflictException ex)
        {
            return new WebhookConflict("Conflict.", ex.Message);
        }
        catch (WebhookConcurrencyException ex)
        {
            return new WebhookPreconditionFailed(ex.Message);
        }
    }
}
