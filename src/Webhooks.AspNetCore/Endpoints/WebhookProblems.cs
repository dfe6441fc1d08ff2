using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>The ProblemDetails answers of the endpoints, in one place so their wording stays consistent.</summary>
internal static class WebhookProblems
{
    public const string ValidationTitle = "One or more fields are invalid.";

    public static WebhookNotFound NotFound(string what) => new(what);

    public static WebhookNotFound SubscriptionNotFound(string id) =>
        NotFound($"No subscription '{id}' exists for this caller.");

    public static WebhookNotFound DeliveryNotFound(string deliveryId) =>
        NotFound($"No delivery '{deliveryId}' exists for this caller.");

    public static WebhookNotFound DeliveryNotFound(string id, string deliveryId) =>
        NotFound($"No delivery '{deliveryId}' exists for subscription '{id}'.");

    public static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        TypedResults.ValidationProblem(errors, detail: detail ?? "Fix the fields listed in 'errors' and send the request again.", title: ValidationTitle);

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });
}

/// <summary>
/// Thrown by the request readers (body, query, ids) to answer at once with a ProblemDetails; the
/// endpoint filter turns it into the response. Never escapes the endpoints.
/// </summary>
internal sealed class WebhookEndpointProblemException : Exception
{
    public WebhookEndpointProblemException(IResult result)
        : base("The request was answered with a problem response.") => Result = result;

    public IResult Result { get; }
}
