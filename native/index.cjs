// The addon node-gyp built at install (build/Release); requiring this fails when it was not built.
module.exports = require('./build/Release/holdfast_native.node');
