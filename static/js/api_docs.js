// Swagger UI over the generated OpenAPI document; writes from "Try it out" send the page's CSRF token.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("api-docs");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    requestInterceptor: (req) => {
      req.headers["X-CSRFToken"] = token;
      return req;
    },
  });
});
