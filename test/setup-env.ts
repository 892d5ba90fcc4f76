// Node 20 runs the test suite (Lambdas target Node 22); the SDK's upgrade notice is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
